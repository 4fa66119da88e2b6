using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace GorbLink.Core.Reconcile;

/// <summary>A kernel pass as the pipeline sees it, with the whole <see cref="ReconcileResult"/> for callers that need the detail (which operation was refused).</summary>
public sealed record KernelPassOutcome(ReconcileResult Result)
    : SinkPassOutcome(Result.Applied, [.. Result.Failures.Select(f => f.Message)], Result.NextWakeUp, Result.Duration);

/// <summary>
/// This host's kernel as a sink of the pipeline: one <see cref="Reconciler"/> pass (the planner plus one batch) per
/// desired state, then the observers of the pass (VIPs, metrics), which see it before the next pass starts. An
/// observer that throws is logged and does not fail the pass.
/// </summary>
public sealed class KernelSink : IStateSink
{
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private IReconcilePassObserver[] _observers = [];
    private volatile DesiredState? _desired;
    private volatile ReconcileResult? _lastResult;
    private long _batches;
    private int _pendingDrains;

    /// <param name="defaultVip">The VIP of containers without a vip label: by default the interface's first IPv4 address.</param>
    public KernelSink(Reconciler reconciler, ILogger logger, DefaultVip defaultVip = default)
    {
        ArgumentNullException.ThrowIfNull(reconciler);
        ArgumentNullException.ThrowIfNull(logger);
        Reconciler = reconciler;
        _logger = logger;
        DefaultVip = defaultVip;
    }

    public string Name => "kernel";

    public DefaultVip DefaultVip { get; }

    public Reconciler Reconciler { get; }

    /// <summary>The desired state of the last pass; null before the first.</summary>
    public DesiredState? Desired => _desired;

    /// <summary>The result of the last pass that did not throw; null before.</summary>
    public ReconcileResult? LastResult => _lastResult;

    /// <summary>Batches sent to the kernel, over all passes.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Destinations at weight 0 waiting for their connections to end, as of the last pass.</summary>
    public int PendingDrains => Volatile.Read(ref _pendingDrains);

    public void AddObserver(IReconcilePassObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_gate) _observers = [.. _observers, observer];
    }

    public async Task<SinkPassOutcome> ApplyAsync(DesiredSnapshot desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var state = desired.For(DefaultVip);
        _desired = state;
        var result = await Reconciler.ReconcileAsync(state, cancellationToken).ConfigureAwait(false);
        _lastResult = result;
        Interlocked.Add(ref _batches, result.Batches);
        Volatile.Write(ref _pendingDrains, result.PendingDrains);
        await NotifyAsync(state, result, cancellationToken).ConfigureAwait(false);
        return new KernelPassOutcome(result);
    }

    private async Task NotifyAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken)
    {
        IReconcilePassObserver[] observers;
        lock (_gate) observers = _observers;
        foreach (var observer in observers)
        {
            try
            {
                await observer.OnPassAsync(desired, result, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.ObserverFailed(_logger, e, observer.GetType().Name, e.Message);
            }
        }
    }
}
