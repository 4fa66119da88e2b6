using System.Net;
using System.Text;
using GorbLink.Core.Desired;
using GorbLink.Remote.Client;
using GorbLink.Remote.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static GorbLink.Remote.Tests.Support.AgentRig;

namespace GorbLink.Remote.Tests.Client;

/// <summary>
/// The executor against a real daemon over loopback: each step's outcome is recorded, a step whose prerequisite failed
/// is not sent, and a 409 on create is resolved by reading the service back and planning again.
/// </summary>
public sealed class RemotePlanExecutorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RemoteDesiredState Desired(params GorbLink.Core.Containers.ContainerRecord[] containers)
    {
        var labels = RemoteDesiredMapper.ForRemote(GorbLink.Core.Labels.LabelOptions.ForInterface([HostAddress]));
        return RemoteDesiredMapper.Map(1, new DesiredStateBuilder(labels).Build(containers));
    }

    private static (string Step, RemoteCallOutcome Outcome)[] Steps(RemoteReconciler reconciler) =>
        [.. reconciler.LastCalls.Select(r => (r.Call.GetType().Name, r.Outcome))];

    /// <summary>Answers <paramref name="status"/> to every PUT of <paramref name="path"/>; on <paramref name="first"/>, first creates it (the race).</summary>
    private sealed class ScriptedHandler(TestDaemon daemon, string path, HttpStatusCode? status, string? first = null) : DelegatingHandler
    {
        private bool _raced;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath == path)
            {
                if (status is { } refused) return new HttpResponseMessage(refused) { Content = new StringContent("""{"error":"no"}""", Encoding.UTF8, "application/json") };
                if (first is not null && !_raced)
                {
                    _raced = true;
                    using var put = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(first, Encoding.UTF8, "application/json") };
                    using var answer = await daemon.Http.SendAsync(put, cancellationToken);
                    answer.EnsureSuccessStatusCode();
                }
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private static async Task<(RemoteReconciler Reconciler, RemotePassResult Result)> PassAsync(TestDaemon daemon, DelegatingHandler handler, DirectoryInfo state)
    {
        handler.InnerHandler = new SocketsHttpHandler();
        var http = new HttpClient(handler) { BaseAddress = daemon.BaseAddress };
        var endpoint = RemoteEndpoint.Parse(daemon.Endpoint);
        var ownership = new RemoteOwnership(Path.Combine(state.FullName, endpoint.FileName), endpoint.Name);
        var reconciler = new RemoteReconciler(new GorbClient(http, endpoint), ownership, NullLogger.Instance);
        var result = await reconciler.ReconcileAsync(Desired(Container("web-1", 32768), Container("web-2", 32769)), Ct);
        return (reconciler, result);
    }

    [Fact]
    public async Task ARefusedServiceCreateIsReportedAndItsBackendsAreNotSent()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        var state = Directory.CreateTempSubdirectory("gorblink-exec-");
        try
        {
            var (reconciler, result) = await PassAsync(daemon, new ScriptedHandler(daemon, "/service/web-80-tcp", HttpStatusCode.InternalServerError), state);

            Assert.Equal(
                [("CreateService", RemoteCallOutcome.Failed), ("CreateBackend", RemoteCallOutcome.Skipped), ("CreateBackend", RemoteCallOutcome.Skipped)],
                Steps(reconciler));
            var failure = Assert.Single(result.Failures);
            Assert.StartsWith("create service web-80-tcp: 500", failure, StringComparison.Ordinal);
            Assert.Equal(0, result.Writes);
            Assert.Empty(reconciler.Ownership.Services); // the write-ahead entry is taken back
            Assert.Empty(daemon.Kernel.Dump().Trim());
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A409OnCreateIsReadBackAndTheDifferencePatchedBeforeTheBackendsAreAdded()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        var state = Directory.CreateTempSubdirectory("gorblink-exec-");
        try
        {
            var (reconciler, result) = await PassAsync(daemon, new ScriptedHandler(daemon, "/service/web-80-tcp", null, """{"port":80,"method":"lc"}"""), state);

            // The steps planned after the read-back are recorded before the create they resolved.
            Assert.Equal(
                [("UpdateService", RemoteCallOutcome.Applied), ("CreateService", RemoteCallOutcome.Resolved),
                 ("CreateBackend", RemoteCallOutcome.Applied), ("CreateBackend", RemoteCallOutcome.Applied)],
                Steps(reconciler));
            Assert.True(result.Succeeded, string.Join("; ", result.Failures));
            Assert.Equal(3, result.Writes);
            Assert.Equal((1, 2), (result.Services, result.Backends));
            Assert.Equal(["web-80-tcp"], reconciler.Ownership.Services);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }
}
