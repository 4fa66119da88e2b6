using GorbLink.Core.Desired;

namespace GorbLink.Core.Reconcile;

/// <summary>
/// Told about every successful reconcile pass (dry runs included), in order, on the loop's task, before the next pass
/// starts and before <see cref="ReconcileLoop.FirstPassCompleted"/> completes. What follows the kernel's table lives
/// here: the VIPs on the interface, metrics. An observer that throws is logged and does not fail the pass.
/// </summary>
public interface IReconcilePassObserver
{
    Task OnPassAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken);
}
