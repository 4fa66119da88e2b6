using GorbLink.Core.Pipeline;
using GorbLink.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GorbLink.Core.Tests.Pipeline;

/// <summary>
/// Leading-edge coalescing: a change after a quiet period is built at once; a change sooner than the coalescing delay
/// after the last build waits for the rest of the delay, and so does everything that arrives meanwhile.
/// </summary>
public sealed class PipelineLoopCoalescingTests : IDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ManualDesiredStateSource _source = new();
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task<PipelineLoop> StartBuiltOnce()
    {
        var loop = new PipelineLoop(_source, [], new PipelineLoopOptions { CoalesceDelay = Delay }, null, _time);
        _ = loop.RunAsync(_stop.Token);
        _source.Change();
        await Until(() => _source.Builds == 1 && loop.State == PipelineLoopState.Idle, "the first build");
        return loop;
    }

    /// <summary>Milliseconds of quiet after the last build before a change arrives, and how long that change then waits.</summary>
    public static TheoryData<int, int> QuietThenWait => new()
    {
        { 0, 100 },
        { 30, 70 },
        { 99, 1 },
        { 100, 0 },
        { 5_000, 0 },
    };

    [Theory]
    [MemberData(nameof(QuietThenWait))]
    public async Task AChangeWaitsOnlyForTheRestOfTheDelaySinceTheLastBuild(int quietMs, int expectedWaitMs)
    {
        var loop = await StartBuiltOnce();
        _time.Advance(TimeSpan.FromMilliseconds(quietMs));

        _source.Change();

        if (expectedWaitMs == 0)
        {
            // No fake time passes: a lone change after a quiet period is built at once.
            await Until(() => _source.Builds == 2, "the build of a lone change");
            return;
        }
        await Until(() => loop.State == PipelineLoopState.Coalescing, "coalescing");
        if (expectedWaitMs > 1)
        {
            _time.Advance(TimeSpan.FromMilliseconds(expectedWaitMs - 1));
            await Task.Delay(50, TestContext.Current.CancellationToken);
            Assert.Equal(1, _source.Builds);
        }
        else
        {
            Assert.Equal(1, _source.Builds);
        }
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Until(() => _source.Builds == 2, "the build after the rest of the delay");
    }

    [Fact]
    public async Task ABurstOfAThousandChangesAfterAQuietPeriodIsOneOrTwoBuildsAndLosesNone()
    {
        var loop = await StartBuiltOnce();
        _time.Advance(TimeSpan.FromSeconds(10));

        // The first change is built at once; the loop is building or coalescing while the rest arrive.
        for (var i = 0; i < 1000; i++) _source.Change();
        await Until(() => loop.State == PipelineLoopState.Coalescing || _source.LastBuiltRevision == _source.Revision, "the burst's first build");
        _time.Advance(Delay);
        await Until(() => _source.LastBuiltRevision == _source.Revision && loop.State == PipelineLoopState.Idle, "the burst built");

        var burstBuilds = _source.Builds - 1;
        Assert.InRange(burstBuilds, 1, 2);
        Assert.Equal(1001, _source.LastBuiltRevision);
    }

    [Fact]
    public async Task AStreamOfChangesIsBuiltOncePerDelayNotOncePerChange()
    {
        var loop = await StartBuiltOnce();
        _time.Advance(TimeSpan.FromSeconds(10));

        // One change every 10 ms for 500 ms of fake time: 50 changes.
        for (var i = 0; i < 50; i++)
        {
            _source.Change();
            await Task.Delay(5, TestContext.Current.CancellationToken);
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
        await Until(() => loop.State is PipelineLoopState.Coalescing or PipelineLoopState.Idle, "the stream's last change");
        _time.Advance(Delay);
        await Until(() => _source.LastBuiltRevision == _source.Revision && loop.State == PipelineLoopState.Idle, "the stream built");

        // 500 ms at one build per 100 ms: about 5, plus the first; never anywhere near 50.
        Assert.InRange(_source.Builds - 1, 2, 8);
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
