using System.Net;
using System.Text;
using GorbLink.Ipvs;
using GorbLink.Netlink;
using GorbLink.Remote.Server;
using GorbLink.Remote.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Remote.Tests.Server;

/// <summary>
/// A request's change gets one kernel pass, then the request keeps it or takes it back; a retry of that pass waits
/// for the decision. Regression test for the REST fuzz target's finding: a DELETE whose pass failed was answered
/// "nothing was changed", but the runner's retry, quicker than the take-back, had deleted the service from the kernel.
/// </summary>
public sealed class ServeDecisionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASecondPassOfAnUndecidedChangeWaitsForTheDecisionAndThenAppliesTheStateAsDecided()
    {
        var directory = Directory.CreateTempSubdirectory("gorblink-decision-").FullName;
        try
        {
            var state = new ServeState(Path.Combine(directory, "serve-state.json"), NullLogger.Instance);
            var revision = state.Change(_ => { }, awaitVerdict: true);

            Assert.False(await state.WaitIfUndecidedAsync(revision, Ct)); // the pass the request waits for
            var retry = state.WaitIfUndecidedAsync(revision, Ct);
            await Task.Delay(50, Ct);
            Assert.False(retry.IsCompleted, "a retry of an undecided change went ahead");

            state.Change(_ => { }); // the request takes its change back
            state.Decided();
            Assert.True(await retry.WaitAsync(TimeSpan.FromSeconds(10), Ct));
            // Decided: a snapshot from before the decision is stale (it may hold a change taken back): built again.
            Assert.True(await state.WaitIfUndecidedAsync(revision, Ct));
            var after = state.Change(_ => { });
            Assert.False(await state.WaitIfUndecidedAsync(after, Ct));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task ADeleteWhosePassFailsLeavesTheServiceInTheKernelEvenWhenTheRetryIsImmediate()
    {
        // Retries at once (1 ms): before the fix the retry deleted the service before the request took the delete back.
        await using var daemon = await TestDaemon.CreateAsync(configure: o => o with { RetryMinimum = TimeSpan.FromMilliseconds(1), RetryMaximum = TimeSpan.FromMilliseconds(1) });
        using (var put = await daemon.Http.PutAsync("/service/web", new StringContent("""{"port":80}""", Encoding.UTF8, "application/json"), Ct))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var before = daemon.Kernel.Dump();

        for (var attempt = 0; attempt < 20; attempt++)
        {
            daemon.Kernel.FailNextBatch = new NetlinkProtocolException("ACK shorter than an nlmsgerr");
            using var response = await daemon.Http.DeleteAsync("/service/web", Ct);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.True(before == daemon.Kernel.Dump(), $"attempt {attempt}: the kernel changed; batches:\n" +
                string.Join("\n", daemon.Kernel.Batches.Select(b => string.Join("; ", b.Select(o => $"{o.Kind} {o.Target}")))) + "\n" + daemon.Logs.Text);
        }
        // Only the twenty failed batches ever asked to delete it: no retry sent the delete again.
        Assert.Equal(20, daemon.Kernel.Batches.Count(b => b.Any(o => o is IpvsOperation.DeleteService)));
    }
}
