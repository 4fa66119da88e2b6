using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using GorbLink.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GorbLink.Core.Tests.Pipeline;

public sealed class SinkRunnerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ManualDesiredStateSource _source = new();
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    /// <summary>A sink that fails while <see cref="Failing"/>, or hangs while <see cref="Hang"/> is set, and records what it applied.</summary>
    private sealed class ScriptedSink(string name) : IStateSink
    {
        public volatile bool Failing;
        public volatile TaskCompletionSource? Hang;
        public DateTimeOffset? WakeUp;
        public readonly List<long> Applied = [];

        public string Name => name;

        public DefaultVip DefaultVip => DefaultVip.InterfaceAddress;

        public async Task<SinkPassOutcome> ApplyAsync(DesiredSnapshot desired, CancellationToken cancellationToken)
        {
            if (Hang is { } hang) await hang.Task.WaitAsync(cancellationToken);
            if (Failing) throw new InvalidOperationException($"{name} is down");
            lock (Applied) Applied.Add(desired.Revision);
            return new SinkPassOutcome(1, [], WakeUp, TimeSpan.FromMilliseconds(1));
        }

        public long[] Seen() { lock (Applied) return [.. Applied]; }
    }

    private sealed class RecordingRunnerLog : ISinkRunnerLog
    {
        public readonly List<string> Lines = [];
        public void FirstPass(DesiredSnapshot desired, SinkPassOutcome outcome) { lock (Lines) Lines.Add("first"); }
        public void PassFailed(Exception exception, int failuresInRow, TimeSpan retryIn) { lock (Lines) Lines.Add($"failed {failuresInRow} retry {retryIn.TotalSeconds}s"); }
        public void Recovered(int failuresInRow) { lock (Lines) Lines.Add($"recovered after {failuresInRow}"); }
        public void Fatal(Exception exception) { lock (Lines) Lines.Add("fatal"); }
        public string[] All() { lock (Lines) return [.. Lines]; }
    }

    private static readonly SinkRunnerOptions Options = new()
    {
        ResyncInterval = TimeSpan.FromSeconds(60),
        InitialBackoff = TimeSpan.FromSeconds(1),
        MaxBackoff = TimeSpan.FromSeconds(4),
    };

    private SinkRunner Runner(IStateSink sink, RecordingRunnerLog log, SinkRunnerOptions? options = null) => new(sink, options ?? Options, log, _time);

    private (PipelineLoop Loop, Task Running) Start(params SinkRunner[] runners)
    {
        var loop = new PipelineLoop(_source, runners, new PipelineLoopOptions { CoalesceDelay = TimeSpan.Zero }, null, _time);
        return (loop, Task.Run(() => loop.RunAsync(_stop.Token)));
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
    }

    private static Task Settled(SinkRunner runner, long passes, SinkRunnerState state) =>
        Until(() => runner.Counters.Passes >= passes && runner.State == state, $"{runner.Name}: pass {passes} and {state} (now {runner.Counters.Passes}, {runner.State})");

    [Fact]
    public async Task EachSinkBacksOffOnItsOwnAndLogsRecoveryOnce()
    {
        var down = new ScriptedSink("down") { Failing = true };
        var up = new ScriptedSink("up");
        RecordingRunnerLog downLog = new(), upLog = new();
        var downRunner = Runner(down, downLog);
        var upRunner = Runner(up, upLog);
        Start(downRunner, upRunner);
        _source.Change();

        await Settled(downRunner, 1, SinkRunnerState.BackingOff);
        await Settled(upRunner, 1, SinkRunnerState.Idle);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(1), downRunner.Counters.NextWakeUp);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Settled(downRunner, 2, SinkRunnerState.BackingOff);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(2), downRunner.Counters.NextWakeUp);
        _time.Advance(TimeSpan.FromSeconds(2));
        await Settled(downRunner, 3, SinkRunnerState.BackingOff);
        _time.Advance(TimeSpan.FromSeconds(4));
        await Settled(downRunner, 4, SinkRunnerState.BackingOff);
        // Capped at MaxBackoff.
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(4), downRunner.Counters.NextWakeUp);
        Assert.Equal(["failed 1 retry 1s", "failed 2 retry 2s", "failed 3 retry 4s", "failed 4 retry 4s"], downLog.All());

        // Meanwhile the healthy sink was neither delayed nor affected.
        Assert.Equal(1, upRunner.Counters.Passes);
        Assert.Equal(0, upRunner.Counters.FailedPasses);
        Assert.Equal(["first"], upLog.All());

        down.Failing = false;
        _time.Advance(TimeSpan.FromSeconds(4));
        await Settled(downRunner, 5, SinkRunnerState.Idle);
        Assert.Equal(["failed 1 retry 1s", "failed 2 retry 2s", "failed 3 retry 4s", "failed 4 retry 4s", "recovered after 4", "first"], downLog.All());
        Assert.Equal(0, downRunner.Counters.ConsecutiveFailures);
        Assert.Equal(4, downRunner.Counters.FailedPasses);
        Assert.Equal("down is down", downRunner.Counters.LastError);
        Assert.True(downRunner.FirstPassCompleted.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AHangingSinkDoesNotDelayAnother()
    {
        var slow = new ScriptedSink("slow") { Hang = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var fast = new ScriptedSink("fast");
        var slowRunner = Runner(slow, new RecordingRunnerLog());
        var fastRunner = Runner(fast, new RecordingRunnerLog());
        Start(slowRunner, fastRunner);

        _source.Change();
        await Settled(fastRunner, 1, SinkRunnerState.Idle);
        _source.Change();
        await Settled(fastRunner, 2, SinkRunnerState.Idle);
        _source.Change();
        await Settled(fastRunner, 3, SinkRunnerState.Idle);
        Assert.Equal([1L, 2L, 3L], fast.Seen());
        Assert.Equal(SinkRunnerState.Applying, slowRunner.State);
        Assert.Equal(0, slowRunner.Counters.Passes);

        // When it answers again it applies the latest state, then catches up with nothing queued.
        slow.Hang!.TrySetResult();
        slow.Hang = null;
        await Settled(slowRunner, 2, SinkRunnerState.Idle);
        Assert.Equal(3L, slow.Seen()[^1]);
        Assert.Equal(3, _source.Builds);
    }

    [Fact]
    public async Task ChangesDoNotCutABackoffShort()
    {
        var sink = new ScriptedSink("down") { Failing = true };
        var runner = Runner(sink, new RecordingRunnerLog());
        Start(runner);
        _source.Change();
        await Settled(runner, 1, SinkRunnerState.BackingOff);

        _source.Change();
        _source.Change();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(1, runner.Counters.Passes);

        sink.Failing = false;
        _time.Advance(TimeSpan.FromSeconds(1));
        await Settled(runner, 2, SinkRunnerState.Idle);
        Assert.Equal([3L], sink.Seen()); // the latest, not each one
    }

    [Fact]
    public async Task WithNewerStateEndsBackoffAChangeIsTriedAtOnceAndTheBackoffStillDoubles()
    {
        var sink = new ScriptedSink("kernel") { Failing = true };
        var log = new RecordingRunnerLog();
        var runner = Runner(sink, log, Options with { NewerStateEndsBackoff = true });
        Start(runner);
        _source.Change();
        await Settled(runner, 1, SinkRunnerState.BackingOff);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(1), runner.Counters.NextWakeUp);

        _source.Change(); // no time passes: the change alone ends the backoff
        await Settled(runner, 2, SinkRunnerState.BackingOff);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(2), runner.Counters.NextWakeUp);

        sink.Failing = false;
        _source.Change();
        await Settled(runner, 3, SinkRunnerState.Idle);
        Assert.Equal([3L], sink.Seen());
        Assert.Equal(["failed 1 retry 1s", "failed 2 retry 2s", "recovered after 2", "first"], log.All());
    }

    [Fact]
    public async Task EveryPassIsPublishedWithTheRevisionItAppliedAndAWaiterGetsThePassThatIncludesItsRevision()
    {
        var sink = new ScriptedSink("kernel") { Failing = true };
        var runner = Runner(sink, new RecordingRunnerLog(), Options with { NewerStateEndsBackoff = true });
        var (_, running) = Start(runner);
        var first = runner.Passes.WaitForRevisionAsync(1, TestContext.Current.CancellationToken);
        _source.Change();

        var failed = await first;
        Assert.Equal(1, failed.Revision);
        Assert.Equal("kernel is down", failed.Failure!.Message);
        Assert.Null(failed.Outcome);

        sink.Failing = false;
        var second = runner.Passes.WaitForRevisionAsync(2, TestContext.Current.CancellationToken);
        _source.Change();
        var applied = await second;
        Assert.Equal(2, applied.Revision);
        Assert.Null(applied.Failure);
        Assert.Equal(1, applied.Outcome!.Writes);
        Assert.Same(applied, runner.Passes.Latest);

        // A resync pass of the same revision is published too.
        _time.Advance(TimeSpan.FromSeconds(60));
        await Settled(runner, 3, SinkRunnerState.Idle);
        Assert.NotSame(applied, runner.Passes.Latest);
        Assert.Equal(2, runner.Passes.Latest!.Revision);

        // Once the runner has stopped, a revision no pass covers is cancelled rather than waited for forever.
        var never = runner.Passes.WaitForRevisionAsync(3, TestContext.Current.CancellationToken);
        await _stop.CancelAsync();
        await running;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => never);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.Passes.WaitForRevisionAsync(3, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TheSinksWakeUpAndTheResyncRunPassesWithoutAnyChange()
    {
        var sink = new ScriptedSink("kernel") { WakeUp = _time.GetUtcNow() + TimeSpan.FromSeconds(5) };
        var runner = Runner(sink, new RecordingRunnerLog());
        Start(runner);
        _source.Change();
        await Settled(runner, 1, SinkRunnerState.Idle);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(5), runner.Counters.NextWakeUp);

        sink.WakeUp = null;
        _time.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(1, runner.Counters.Passes);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Settled(runner, 2, SinkRunnerState.Idle);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(60), runner.Counters.NextWakeUp);

        _time.Advance(TimeSpan.FromSeconds(60));
        await Settled(runner, 3, SinkRunnerState.Idle);
        Assert.Equal([1L, 1L, 1L], sink.Seen());
        Assert.Equal(1, _source.Builds); // a resync re-applies; it does not rebuild an unchanged source
    }

    [Fact]
    public async Task AFatalFailureEndsThePipelineAndNothingIsAppliedBeforeTheSourceLoads()
    {
        var sink = new ScriptedSink("kernel") { Failing = true };
        var log = new RecordingRunnerLog();
        var runner = Runner(sink, log, Options with { IsFatal = e => e is InvalidOperationException });
        var (loop, running) = Start(runner);

        _source.Change(load: false);
        await Until(() => loop.State == PipelineLoopState.WaitingForSource, "waiting for the source");
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(0, _source.Builds);
        Assert.Equal(SinkRunnerState.WaitingForDesiredState, runner.State);

        _source.Change();
        await Assert.ThrowsAsync<InvalidOperationException>(() => running);
        await Assert.ThrowsAsync<InvalidOperationException>(() => runner.FirstPassCompleted);
        Assert.Equal(["fatal"], log.All());
        Assert.Equal(PipelineLoopState.Stopped, loop.State);
    }
}
