using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;

namespace GorbLink.Core.Reconcile;

/// <summary>
/// What a pass does with a destination that should drain, on top of <see cref="DrainTracker"/>'s decision: keep it at
/// weight 0 or let the planner delete it, and the words that say why in its log line. Also when the loop must look
/// again (connection counts change without a kernel event).
/// </summary>
/// <remarks>Not thread-safe; used inside a serialised pass.</remarks>
internal sealed class DrainPolicy(DrainTracker drains, ReconcilerOptions options, TimeProvider time)
{
    public DrainTracker Drains => drains;

    /// <summary>
    /// Decides one destination: adds <paramref name="atZero"/> to <paramref name="keep"/> while it drains (the planner
    /// deletes what is not kept), and records the reason for its log line in <paramref name="reasons"/>.
    /// </summary>
    public void Decide(
        DestinationRef reference,
        DestinationStatus status,
        DrainReason reason,
        DestinationOwner? owner,
        Destination atZero,
        List<Destination> keep,
        Dictionary<DestinationRef, string> reasons)
    {
        var decision = drains.Evaluate(reference, status.ActiveConnections, status.InactiveConnections, reason, owner);
        var who = owner is null ? "its container" : owner.ToString();
        var why = reason == DrainReason.ContainerDraining ? $"{who} is {State(owner!)}" : $"{who} is gone";
        switch (decision)
        {
            case DrainDecision.Keep:
                keep.Add(atZero);
                if (status.Destination.Spec.Weight != 0 && drains.TryGet(reference, out var entry))
                {
                    reasons[reference] = $"draining, {why}; deleted when its {status.ActiveConnections} active and " +
                        $"{status.InactiveConnections} inactive connections end, or at {entry.Deadline:u}";
                }
                break;
            case DrainDecision.DeleteDrained:
                reasons[reference] = $"{why}, no connections left";
                break;
            case DrainDecision.DeleteTimedOut:
                var since = drains.TryGet(reference, out var timedOut) ? time.GetUtcNow() - timedOut.Since : drains.Timeout;
                reasons[reference] = $"{why}, drain timeout after {since.TotalSeconds:0}s with {status.ActiveConnections} active and {status.InactiveConnections} inactive connections";
                break;
            case DrainDecision.DeleteUdp:
                reasons[reference] = $"{why}, UDP is not drained";
                break;
        }
    }

    /// <summary>A destination wanted again ends its drain; returns the reason for its log line, or null when it was not draining.</summary>
    public string? Restore(DestinationRef reference, DestinationOwner? owner) =>
        drains.Restore(reference) is null ? null : $"restored, {owner?.ToString() ?? "its container"} is back";

    /// <summary>
    /// When the next pass must run even if nothing changes: the kernel sends no event when a draining destination's
    /// last connection ends, so drains are polled (and a deadline is never overslept); refused writes are retried.
    /// </summary>
    public DateTimeOffset? NextWakeUp(bool failed)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? next = null;
        if (drains.Count > 0)
        {
            next = now + options.DrainPollInterval;
            if (drains.EarliestDeadline is { } deadline && deadline < next) next = deadline < now ? now : deadline;
        }
        if (failed && (next is null || now + options.RetryInterval < next)) next = now + options.RetryInterval;
        return next;
    }

    private static string State(DestinationOwner owner) => owner.Lifecycle switch
    {
        ContainerLifecycle.Running when owner.Health == ContainerHealth.Unhealthy => "unhealthy",
        var lifecycle => lifecycle.ToString().ToLowerInvariant(),
    };
}
