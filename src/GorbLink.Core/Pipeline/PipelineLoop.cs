using GorbLink.Core.Labels;

namespace GorbLink.Core.Pipeline;

public sealed record PipelineLoopOptions
{
    /// <summary>
    /// Builds start at most once per this interval. A change after a quiet period (the last build started at least
    /// this long ago) is built at once; a change sooner than that waits for the rest of the interval, so the events
    /// of a burst that arrive meanwhile become one desired state.
    /// </summary>
    public TimeSpan CoalesceDelay { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>What the pipeline's build loop is doing right now (each sink's runner has its own state).</summary>
public enum PipelineLoopState
{
    NotStarted,
    /// <summary>Nothing is built, and so nothing applied, before the source has loaded its initial state.</summary>
    WaitingForSource,
    /// <summary>Waiting for a change of the source.</summary>
    Idle,
    /// <summary>A change arrived less than the coalescing delay after the last build; waiting for the rest of it before building.</summary>
    Coalescing,
    Building,
    Stopped,
}

/// <summary>Told about every desired state the pipeline builds, before any sink gets it (label errors, conflicts, what cannot be sent).</summary>
public interface IDesiredStateReport
{
    /// <summary>Called once, when the pipeline starts and the source has not loaded yet.</summary>
    void WaitingForSource();

    void OnBuilt(DesiredSnapshot snapshot);
}

/// <summary>Several reports of one pipeline, told in order (the kernel's label problems, then what cannot go to the GORB daemons).</summary>
public sealed class DesiredStateReports(IReadOnlyList<IDesiredStateReport> reports) : IDesiredStateReport
{
    public void WaitingForSource()
    {
        foreach (var report in reports) report.WaitingForSource();
    }

    public void OnBuilt(DesiredSnapshot snapshot)
    {
        foreach (var report in reports) report.OnBuilt(snapshot);
    }
}

/// <summary>
/// The one pipeline: waits until the source has loaded, then builds the whole desired state once per change of the
/// source and hands it to every sink's <see cref="SinkRunner"/>, each of which applies it on its own
/// schedule (its own backoff, resync and wake-ups). Source changes only mark the source dirty; nothing is queued.
/// Each build covers every default VIP the sinks chose (<see cref="IStateSink.DefaultVip"/>): the kernel and the GORB
/// daemons share one loop and one source. A fatal failure of any runner ends the whole pipeline with that exception.
/// </summary>
/// <remarks>
/// Coalescing is leading-edge: a lone change after a quiet period is built without delay, and builds start at most
/// once per <see cref="PipelineLoopOptions.CoalesceDelay"/>. A burst therefore costs one build for its first event
/// (plus whatever arrived with it) and one for everything that arrived within the delay after that: a burst of 1,000
/// start events that arrives within one delay gives one or two builds. A longer stream of events gives one build per
/// delay, never one per event.
/// </remarks>
public sealed class PipelineLoop
{
    private readonly IDesiredStateSource _source;
    private readonly IDesiredStateReport? _report;
    private readonly PipelineLoopOptions _options;
    private readonly TimeProvider _time;
    private readonly DefaultVip[] _defaultVips;
    private int _state = (int)PipelineLoopState.NotStarted;
    private int _started;
    private SinkRunner? _failedRunner;

    public PipelineLoop(
        IDesiredStateSource source,
        IReadOnlyList<SinkRunner> runners,
        PipelineLoopOptions? options = null,
        IDesiredStateReport? report = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(runners);
        _source = source;
        Runners = runners;
        _report = report;
        _options = options ?? new PipelineLoopOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.CoalesceDelay, TimeSpan.Zero, nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _defaultVips = [.. runners.Select(r => r.Sink.DefaultVip).Distinct()];
    }

    public IReadOnlyList<SinkRunner> Runners { get; }

    /// <summary>The runner whose fatal failure ended the pipeline; null while it runs, or when the build loop failed.</summary>
    public SinkRunner? FailedRunner => Volatile.Read(ref _failedRunner);

    /// <summary>The latest desired state built, for the runners and for status.</summary>
    public SnapshotFeed Feed { get; } = new();

    public PipelineLoopState State => (PipelineLoopState)Volatile.Read(ref _state);

    /// <summary>
    /// Runs the build loop and every runner until <paramref name="cancellationToken"/> is cancelled (then returns
    /// normally). The first runner that fails fatally stops the others, and its exception is thrown.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) throw new InvalidOperationException("the pipeline is already running");
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? fatal = null;
        async Task Guard(Func<CancellationToken, Task> run, SinkRunner? runner = null)
        {
            try
            {
                await run(failed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (failed.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                if (Interlocked.CompareExchange(ref fatal, e, null) is null) Volatile.Write(ref _failedRunner, runner);
                await failed.CancelAsync().ConfigureAwait(false);
            }
        }

        var tasks = new List<Task>(Runners.Count + 1) { Guard(BuildLoopAsync) };
        foreach (var runner in Runners) tasks.Add(Guard(ct => runner.RunAsync(Feed, ct), runner));
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            SetState(PipelineLoopState.Stopped);
        }
        if (fatal is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fatal);
    }

    private async Task BuildLoopAsync(CancellationToken cancellationToken)
    {
        SetState(PipelineLoopState.WaitingForSource);
        var told = false;
        while (true)
        {
            var revision = _source.Revision;
            if (_source.IsLoaded) break;
            if (!told) _report?.WaitingForSource();
            told = true;
            await _source.WaitForChangeAsync(revision, cancellationToken).ConfigureAwait(false);
        }
        DesiredSnapshot? previous = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var buildStarted = _time.GetTimestamp();
            SetState(PipelineLoopState.Building);
            var snapshot = _source.Build(previous, _defaultVips);
            previous = snapshot;
            _report?.OnBuilt(snapshot);
            Feed.Publish(snapshot);

            var change = _source.WaitForChangeAsync(snapshot.Revision, cancellationToken);
            SetState(PipelineLoopState.Idle);
            await change.ConfigureAwait(false);
            var rest = _options.CoalesceDelay - _time.GetElapsedTime(buildStarted);
            if (rest > TimeSpan.Zero)
            {
                var delay = Task.Delay(rest, _time, cancellationToken);
                SetState(PipelineLoopState.Coalescing);
                await delay.ConfigureAwait(false);
            }
        }
    }

    private void SetState(PipelineLoopState state) => Volatile.Write(ref _state, (int)state);
}
