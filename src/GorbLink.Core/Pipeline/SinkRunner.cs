namespace GorbLink.Core.Pipeline;

/// <summary>
/// Drives one sink: applies the latest desired snapshot whenever a newer one is published, the sink's own wake-up
/// (drains, refused writes to retry) is due, its drift probe says so, or the resync interval passes. A failed pass is
/// retried with this sink's own doubling backoff, during which newer snapshots wait (a sink that is down is not
/// hammered by every change); the first pass after failures logs "recovered". Each sink has its own runner, so a slow
/// or dead sink never delays another. Every completed pass, applied or failed, is published on <see cref="Passes"/> with
/// the source revision it applied.
/// </summary>
public sealed class SinkRunner
{
    private readonly SinkRunnerOptions _options;
    private readonly ISinkRunnerLog _log;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<SinkPassOutcome> _firstPass = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _countersGate = new();
    private SinkCounters _counters = new();
    private int _state = (int)SinkRunnerState.NotStarted;
    private int _started;

    public SinkRunner(IStateSink sink, SinkRunnerOptions options, ISinkRunnerLog log, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        Sink = sink;
        _options = options;
        _log = log;
        _time = timeProvider ?? TimeProvider.System;
    }

    public IStateSink Sink { get; }

    public string Name => Sink.Name;

    public SinkRunnerState State => (SinkRunnerState)Volatile.Read(ref _state);

    public SinkCounters Counters { get { lock (_countersGate) return _counters; } }

    /// <summary>
    /// Completes with the first pass that did not throw. Faults when the runner ends before one (a fatal error, or a
    /// failed first pass with <see cref="SinkRunnerOptions.FailFastOnFirstPass"/>); cancelled when it is stopped first.
    /// </summary>
    public Task<SinkPassOutcome> FirstPassCompleted => _firstPass.Task;

    /// <summary>Each pass as it completes, with the revision it applied; closed when the runner stops.</summary>
    public SinkPassFeed Passes { get; } = new();

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (then returns normally) or a fatal error (thrown).</summary>
    public async Task RunAsync(SnapshotFeed feed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feed);
        if (Interlocked.Exchange(ref _started, 1) == 1) throw new InvalidOperationException($"the runner of {Name} is already running");
        try
        {
            SetState(SinkRunnerState.WaitingForDesiredState);
            var latest = await feed.WaitForNewerAsync(0, cancellationToken).ConfigureAwait(false);
            await LoopAsync(feed, latest, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            SetState(SinkRunnerState.Stopped);
            Passes.Close($"the runner of {Name} has stopped");
            _firstPass.TrySetCanceled(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(true));
        }
    }

    private async Task LoopAsync(SnapshotFeed feed, PublishedSnapshot latest, CancellationToken cancellationToken)
    {
        var backoff = _options.InitialBackoff;
        var failuresInRow = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var applying = feed.Latest ?? latest;
            SetState(SinkRunnerState.Applying);
            DateTimeOffset wakeAt;
            bool healthy;
            try
            {
                var outcome = await Sink.ApplyAsync(applying.Snapshot, cancellationToken).ConfigureAwait(false);
                if (failuresInRow > 0) _log.Recovered(failuresInRow);
                failuresInRow = 0;
                backoff = _options.InitialBackoff;
                wakeAt = _time.GetUtcNow() + _options.ResyncInterval;
                if (outcome.NextWakeUp is { } next && next < wakeAt) wakeAt = next;
                Count(applying.Snapshot, outcome, wakeAt);
                Passes.Publish(SinkPass.Applied(applying.Snapshot.Revision, outcome));
                if (!_firstPass.Task.IsCompleted)
                {
                    _log.FirstPass(applying.Snapshot, outcome);
                    _firstPass.TrySetResult(outcome);
                }
                healthy = true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                failuresInRow++;
                if (_options.IsFatal(e) || (_options.FailFastOnFirstPass && !_firstPass.Task.IsCompleted))
                {
                    CountFailure(e, null);
                    _log.Fatal(e);
                    Passes.Publish(SinkPass.Failed(applying.Snapshot.Revision, e));
                    _firstPass.TrySetException(e);
                    throw;
                }
                wakeAt = _time.GetUtcNow() + backoff;
                CountFailure(e, wakeAt);
                _log.PassFailed(e, failuresInRow, backoff);
                Passes.Publish(SinkPass.Failed(applying.Snapshot.Revision, e));
                backoff = backoff * 2 > _options.MaxBackoff ? _options.MaxBackoff : backoff * 2;
                healthy = false;
            }
            latest = await WaitAsync(feed, applying, wakeAt, healthy, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for a newer snapshot (while backing off only with <see cref="SinkRunnerOptions.NewerStateEndsBackoff"/>),
    /// the wake-up time, or drift seen by the sink's probe (only while healthy); returns the snapshot to apply next.
    /// </summary>
    private async Task<PublishedSnapshot> WaitAsync(
        SnapshotFeed feed, PublishedSnapshot applied, DateTimeOffset wakeAt, bool healthy, CancellationToken cancellationToken)
    {
        if (wakeAt <= _time.GetUtcNow()) return feed.Latest ?? applied;
        var probe = healthy ? Sink as IDriftProbe : null;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var newer = healthy || _options.NewerStateEndsBackoff ? feed.WaitForNewerAsync(applied.Sequence, cts.Token) : null;
        try
        {
            while (true)
            {
                var left = wakeAt - _time.GetUtcNow();
                if (left <= TimeSpan.Zero) return feed.Latest ?? applied;
                var step = probe is not null && probe.ProbeInterval < left ? probe.ProbeInterval : left;
                var timer = Task.Delay(step, _time, cts.Token);
                SetState(healthy ? SinkRunnerState.Idle : SinkRunnerState.BackingOff);
                var first = newer is null ? await Task.WhenAny(timer).ConfigureAwait(false) : await Task.WhenAny(newer, timer).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (newer is not null && first == newer) return await newer.ConfigureAwait(false);
                if (probe is not null && _time.GetUtcNow() < wakeAt &&
                    await probe.HasDriftedAsync(applied.Snapshot, cancellationToken).ConfigureAwait(false))
                {
                    return feed.Latest ?? applied;
                }
            }
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            if (newer is not null)
            {
                try { await newer.ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
        }
    }

    private void Count(DesiredSnapshot applied, SinkPassOutcome outcome, DateTimeOffset wakeAt)
    {
        var now = _time.GetUtcNow();
        lock (_countersGate)
        {
            _counters = _counters with
            {
                Passes = _counters.Passes + 1,
                WritesApplied = _counters.WritesApplied + outcome.Writes,
                WritesRefused = _counters.WritesRefused + outcome.Refused.Count,
                ConsecutiveFailures = 0,
                LastDuration = outcome.Duration,
                LastPassAt = now,
                LastSuccessAt = now,
                AppliedRevision = applied.Revision,
                NextWakeUp = wakeAt,
            };
        }
    }

    private void CountFailure(Exception e, DateTimeOffset? wakeAt)
    {
        var now = _time.GetUtcNow();
        lock (_countersGate)
        {
            _counters = _counters with
            {
                Passes = _counters.Passes + 1,
                FailedPasses = _counters.FailedPasses + 1,
                ConsecutiveFailures = _counters.ConsecutiveFailures + 1,
                LastPassAt = now,
                LastError = e.Message,
                LastErrorAt = now,
                NextWakeUp = wakeAt,
            };
        }
    }

    private void SetState(SinkRunnerState state) => Volatile.Write(ref _state, (int)state);
}
