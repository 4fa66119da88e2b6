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
/// The kernel host's view of the pipeline: the container store as the source (<see cref="ContainerDesiredStateSource"/>),
/// one <see cref="PipelineLoop"/> that builds the desired state once per change (coalesced), and the kernel sink
/// (<see cref="KernelSink"/>) driven by its own <see cref="SinkRunner"/>: reconciled whenever the desired state changes,
/// a drain needs checking, or the periodic resync is due. Nothing is programmed before the initial container list.
/// A failed pass is logged and retried with backoff (1 s doubling to 30 s by default). `run` composes a pipeline with
/// the kernel sink alone (the first constructor); `run -r --local` composes one pipeline with the kernel sink
/// (<see cref="CreateSink"/>) and every GORB daemon's sink, and views it here (the second). This class keeps the kernel
/// host's view: counters, state, observers, first-pass readiness.
/// </summary>
public sealed class ReconcileLoop
{
    private readonly KernelSink _sink;
    private readonly SinkRunner _runner;
    private readonly PipelineLoop _pipeline;

    /// <summary>The kernel sink alone, over the container store (`run`).</summary>
    public ReconcileLoop(
        ContainerStore store,
        DesiredStateBuilder builder,
        Reconciler reconciler,
        ReconcileLoopOptions? options = null,
        ILogger<ReconcileLoop>? logger = null,
        TimeProvider? timeProvider = null)
        : this(KernelOnly(store, builder, reconciler, options, logger, timeProvider))
    {
    }

    /// <summary>The kernel's view of a pipeline composed with other sinks; it has one runner of a <see cref="KernelSink"/>.</summary>
    /// <exception cref="ArgumentException">The pipeline has no kernel sink, or more than one.</exception>
    public ReconcileLoop(PipelineLoop pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var kernel = pipeline.Runners.Where(r => r.Sink is KernelSink).ToList();
        if (kernel.Count != 1) throw new ArgumentException($"the pipeline has {kernel.Count} kernel sinks; the kernel's view needs exactly one", nameof(pipeline));
        _pipeline = pipeline;
        _runner = kernel[0];
        _sink = (KernelSink)_runner.Sink;
        FirstPassCompleted = FirstResultAsync(_runner.FirstPassCompleted);
    }

    /// <summary>
    /// The kernel sink, its runner (the kernel's own backoff, resync and log lines: ids 3103, 3104, 3106, 3107) and the
    /// report of the containers' label errors and conflicts as the kernel sees them, for a pipeline to compose.
    /// </summary>
    public static PipelineSink CreateSink(Reconciler reconciler, ReconcileLoopOptions? options = null, ILogger<ReconcileLoop>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(reconciler);
        options ??= new ReconcileLoopOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ResyncInterval, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CoalesceDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.InitialBackoff, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBackoff, options.InitialBackoff, nameof(options));
        var log = (ILogger?)logger ?? NullLogger.Instance;
        var sink = new KernelSink(reconciler, log);
        var runner = new SinkRunner(sink, new SinkRunnerOptions
        {
            ResyncInterval = options.ResyncInterval,
            InitialBackoff = options.InitialBackoff,
            MaxBackoff = options.MaxBackoff,
            FailFastOnFirstPass = options.FailFastOnFirstPass,
            IsFatal = static e => e is OwnershipFileException,
        }, new RunnerLog(sink, log), timeProvider ?? TimeProvider.System);
        return new PipelineSink(runner, new ContainerProblemsReport(log, sink.DefaultVip));
    }

    private static PipelineLoop KernelOnly(ContainerStore store, DesiredStateBuilder builder, Reconciler reconciler,
        ReconcileLoopOptions? options, ILogger<ReconcileLoop>? logger, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(builder);
        options ??= new ReconcileLoopOptions();
        var kernel = CreateSink(reconciler, options, logger, timeProvider);
        return new PipelineLoop(new ContainerDesiredStateSource(store, builder), [kernel.Runner],
            new PipelineLoopOptions { CoalesceDelay = options.CoalesceDelay }, kernel.Report, timeProvider);
    }

    private static async Task<ReconcileResult> FirstResultAsync(Task<SinkPassOutcome> firstPass) =>
        ((KernelPassOutcome)await firstPass.ConfigureAwait(false)).Result;

    /// <summary>
    /// Completes with the first successful pass (readiness; its Duration is the startup cost). Faults when the loop ends
    /// before one: a fatal error (damaged ownership file), or a first-pass failure with <see cref="ReconcileLoopOptions.FailFastOnFirstPass"/>.
    /// Cancelled when the loop is stopped first. Meanwhile <see cref="Counters"/> shows failed attempts.
    /// </summary>
    public Task<ReconcileResult> FirstPassCompleted { get; }

    /// <summary>The pipeline this loop is part of (with the GORB daemons' sinks too, under `run -r --local`).</summary>
    public PipelineLoop Pipeline => _pipeline;

    /// <summary>The build loop's state while it waits for or coalesces changes, else the kernel runner's.</summary>
    public ReconcileLoopState State
    {
        get
        {
            switch (_pipeline.State)
            {
                case PipelineLoopState.NotStarted: return ReconcileLoopState.NotStarted;
                case PipelineLoopState.Stopped: return ReconcileLoopState.Stopped;
                case PipelineLoopState.WaitingForSource: return ReconcileLoopState.WaitingForContainers;
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
        if (_pipeline.State != PipelineLoopState.NotStarted) throw new InvalidOperationException("add observers before the loop runs");
        _sink.AddObserver(observer);
    }

    /// <summary>
    /// Runs the pipeline (every sink in it) until <paramref name="cancellationToken"/> is cancelled (then returns
    /// normally) or a fatal error. Under `run -r --local` the remote agent runs the same pipeline instead.
    /// </summary>
    /// <exception cref="OwnershipFileException">The ownership file is damaged or cannot be written: fixing that takes the user.</exception>
    public Task RunAsync(CancellationToken cancellationToken) => _pipeline.RunAsync(cancellationToken);

    /// <summary>The kernel's log events for the runner (ids 3103, 3104, 3106, 3107).</summary>
    private sealed class RunnerLog(KernelSink sink, ILogger logger) : ISinkRunnerLog
    {
        public void FirstPass(DesiredSnapshot desired, SinkPassOutcome outcome)
        {
            var result = ((KernelPassOutcome)outcome).Result;
            Log.FirstPass(logger, result.Duration.TotalMilliseconds, desired.For(sink.DefaultVip).Services.Count, result.Plan.Summary());
        }

        public void PassFailed(Exception exception, int failuresInRow, TimeSpan retryIn) =>
            Log.PassFailed(logger, exception, failuresInRow, exception.Message, retryIn);

        public void Recovered(int failuresInRow) => Log.Recovered(logger, failuresInRow);

        public void Fatal(Exception exception) => Log.Fatal(logger, exception, exception.Message);
    }
}
