using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Core.Reconcile;

public sealed record ReconcileLoopOptions
{
    /// <summary>--resync-interval: a pass runs at least this often even when nothing changed (someone may have edited the table).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After a change, wait this long before reading the containers, so that a burst of events becomes one pass.</summary>
    public TimeSpan CoalesceDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Delay after the first failed pass; doubles with every further failure up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// End <see cref="ReconcileLoop.RunAsync"/> with the exception when the very first pass fails, instead of retrying;
    /// for hosts that would rather exit (and be restarted) than run without having programmed anything.
    /// </summary>
    public bool FailFastOnFirstPass { get; init; }
}

/// <summary>What the loop is doing right now.</summary>
public enum ReconcileLoopState
{
    NotStarted,
    /// <summary>Nothing is programmed before the initial container list has been loaded.</summary>
    WaitingForContainers,
    /// <summary>Waiting for a container change, a drain check or the periodic resync.</summary>
    Idle,
    /// <summary>A change arrived; waiting the coalescing delay for more before the pass.</summary>
    Coalescing,
    Reconciling,
    /// <summary>The last pass failed; waiting before the next attempt (changes do not cut this short).</summary>
    BackingOff,
    Stopped,
}

/// <summary>
/// The kernel's pipeline: the container store as the source (<see cref="ContainerDesiredStateSource"/>), one
/// <see cref="PipelineLoop"/> that builds the desired state once per change (coalesced), and the kernel sink
/// (<see cref="KernelSink"/>) driven by its own <see cref="SinkRunner"/>: reconciled whenever the desired state changes,
/// a drain needs checking, or the periodic resync is due. Nothing is programmed before the initial container list.
/// A failed pass is logged and retried with backoff (1 s doubling to 30 s by default). Other sinks (GORB daemons) are
/// driven by the same types; this class keeps the kernel host's view: counters, state, observers, first-pass readiness.
/// </summary>
public sealed class ReconcileLoop
{
    private readonly KernelSink _sink;
    private readonly SinkRunner _runner;
    private readonly PipelineLoop _pipeline;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<ReconcileResult> _firstPass = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    private volatile bool _stopped;

    public ReconcileLoop(
        ContainerStore store,
        DesiredStateBuilder builder,
        Reconciler reconciler,
        ReconcileLoopOptions? options = null,
        ILogger<ReconcileLoop>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(reconciler);
        options ??= new ReconcileLoopOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ResyncInterval, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CoalesceDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.InitialBackoff, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBackoff, options.InitialBackoff, nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var time = timeProvider ?? TimeProvider.System;
        _sink = new KernelSink(reconciler, _logger);
        _runner = new SinkRunner(_sink, new SinkRunnerOptions
        {
            ResyncInterval = options.ResyncInterval,
            InitialBackoff = options.InitialBackoff,
            MaxBackoff = options.MaxBackoff,
            FailFastOnFirstPass = options.FailFastOnFirstPass,
            IsFatal = static e => e is OwnershipFileException,
        }, new RunnerLog(this), time);
        _pipeline = new PipelineLoop(
            new ContainerDesiredStateSource(store, builder),
            [_runner],
            new PipelineLoopOptions { CoalesceDelay = options.CoalesceDelay },
            new ContainerProblemsReport(_logger),
            time);
    }

    /// <summary>
    /// Completes with the first successful pass (readiness; its Duration is the startup cost). Faults when the loop ends
    /// before one: a fatal error (damaged ownership file), or a first-pass failure with <see cref="ReconcileLoopOptions.FailFastOnFirstPass"/>.
    /// Cancelled when the loop is stopped first. Meanwhile <see cref="Counters"/> shows failed attempts.
    /// </summary>
    public Task<ReconcileResult> FirstPassCompleted => _firstPass.Task;

    /// <summary>The build loop's state while it waits for or coalesces changes, else the kernel runner's.</summary>
    public ReconcileLoopState State
    {
        get
        {
            if (_stopped) return ReconcileLoopState.Stopped;
            if (Volatile.Read(ref _started) == 0) return ReconcileLoopState.NotStarted;
            switch (_pipeline.State)
            {
                case PipelineLoopState.NotStarted or PipelineLoopState.WaitingForSource: return ReconcileLoopState.WaitingForContainers;
                case PipelineLoopState.Coalescing: return ReconcileLoopState.Coalescing;
                case PipelineLoopState.Building: return ReconcileLoopState.Reconciling;
            }
            return _runner.State switch
            {
                SinkRunnerState.Idle => ReconcileLoopState.Idle,
                SinkRunnerState.BackingOff => ReconcileLoopState.BackingOff,
                SinkRunnerState.Stopped => ReconcileLoopState.Stopped,
                _ => ReconcileLoopState.Reconciling,
            };
        }
    }

    /// <summary>The kernel sink's counters: its runner's, the one place they are kept.</summary>
    public SinkCounters Counters => _runner.Counters;

    /// <summary>Destinations at weight 0 waiting for their connections to end, after the last pass.</summary>
    public int PendingDrains => _sink.PendingDrains;

    /// <summary>Batches sent to the kernel (passes with something to write).</summary>
    public long Batches => _sink.Batches;

    /// <summary>The desired state of the last pass; null before the first.</summary>
    public DesiredState? Desired => _sink.Desired;

    public Reconciler Reconciler => _sink.Reconciler;

    /// <summary>The kernel sink's runner (its own counters, backoff and next wake-up).</summary>
    public SinkRunner Runner => _runner;

    /// <summary>Adds an observer of successful passes; call before <see cref="RunAsync"/>.</summary>
    public void AddObserver(IReconcilePassObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (Volatile.Read(ref _started) == 1) throw new InvalidOperationException("add observers before the loop runs");
        _sink.AddObserver(observer);
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (then returns normally) or a fatal error.</summary>
    /// <exception cref="OwnershipFileException">The ownership file is damaged or cannot be written: fixing that takes the user.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) throw new InvalidOperationException("the reconcile loop is already running");
        try
        {
            await _pipeline.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _stopped = true;
            _firstPass.TrySetCanceled(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(true));
        }
    }

    /// <summary>The kernel's log events for the runner (ids 3103, 3104, 3106, 3107), and first-pass readiness.</summary>
    private sealed class RunnerLog(ReconcileLoop loop) : ISinkRunnerLog
    {
        public void FirstPass(DesiredSnapshot desired, SinkPassOutcome outcome)
        {
            var result = loop._sink.LastResult!;
            Log.FirstPass(loop._logger, result.Duration.TotalMilliseconds, desired.State.Services.Count, result.Plan.Summary());
            loop._firstPass.TrySetResult(result);
        }

        public void PassFailed(Exception exception, int failuresInRow, TimeSpan retryIn) =>
            Log.PassFailed(loop._logger, exception, failuresInRow, exception.Message, retryIn);

        public void Recovered(int failuresInRow) => Log.Recovered(loop._logger, failuresInRow);

        public void Fatal(Exception exception)
        {
            Log.Fatal(loop._logger, exception, exception.Message);
            loop._firstPass.TrySetException(exception);
        }
    }
}
