using GorbLink.Core.Desired;
using GorbLink.Ipvs;

namespace GorbLink.Core.Reconcile;

/// <summary>Why a destination is draining.</summary>
public enum DrainReason
{
    /// <summary>Its container is stopping, paused, restarting or unhealthy; it may come back.</summary>
    ContainerDraining,
    /// <summary>Its container is gone, or no longer asks for it.</summary>
    NoLongerWanted,
}

/// <summary>A destination at weight 0, waiting for its connections to finish.</summary>
public sealed record DrainEntry(
    DestinationRef Destination,
    DrainReason Reason,
    DateTimeOffset Since,
    DateTimeOffset Deadline,
    DestinationOwner? Owner);

/// <summary>What to do with a draining destination in this pass.</summary>
public enum DrainDecision
{
    /// <summary>Keep it at weight 0: connections remain and the deadline has not passed.</summary>
    Keep,
    /// <summary>Delete it: no connections remain.</summary>
    DeleteDrained,
    /// <summary>Delete it: the drain timeout passed with connections left.</summary>
    DeleteTimedOut,
    /// <summary>Delete it at once: UDP has no connection end to wait for.</summary>
    DeleteUdp,
}

/// <summary>
/// Graceful termination of destinations, after kube-proxy's graceful_termination.go but driven by virtual time:
/// a destination that stops being wanted gets weight 0 so the scheduler sends it nothing new, and is deleted once its
/// active and inactive connections reach 0 or the drain timeout passes. UDP is deleted at once (kube-proxy does the same;
/// a UDP "connection" only ends by timeout). SCTP drains like TCP. A destination that is wanted again before it is
/// deleted is restored with a weight update, never deleted and re-added, so its connections survive.
/// </summary>
/// <remarks>The tracker holds no kernel state of its own: each pass re-evaluates what the dump shows. Not thread-safe.</remarks>
public sealed class DrainTracker
{
    private readonly Dictionary<DestinationRef, DrainEntry> _entries = [];
    private readonly TimeProvider _time;

    public DrainTracker(TimeSpan timeout, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        Timeout = timeout;
        _time = timeProvider ?? TimeProvider.System;
    }

    public TimeSpan Timeout { get; }
    public int Count => _entries.Count;
    public IReadOnlyCollection<DrainEntry> Entries => _entries.Values;

    /// <summary>The earliest deadline of a draining destination, or null when none drains.</summary>
    public DateTimeOffset? EarliestDeadline
    {
        get
        {
            DateTimeOffset? earliest = null;
            foreach (var entry in _entries.Values)
            {
                if (earliest is null || entry.Deadline < earliest) earliest = entry.Deadline;
            }
            return earliest;
        }
    }

    public bool TryGet(DestinationRef destination, out DrainEntry entry) => _entries.TryGetValue(destination, out entry!);

    /// <summary>
    /// Decides the fate of a destination that should drain, given what the kernel reports now. The first call starts
    /// the drain (unless it can go at once); <see cref="Forget"/> ends it once the delete went through.
    /// </summary>
    public DrainDecision Evaluate(
        DestinationRef destination,
        uint activeConnections,
        uint inactiveConnections,
        DrainReason reason,
        DestinationOwner? owner = null)
    {
        if (destination.Service.Protocol == IpvsProtocol.Udp && !destination.Service.IsFirewallMark)
        {
            _entries.Remove(destination);
            return DrainDecision.DeleteUdp;
        }
        // A delete decision leaves the entry in place until the delete is confirmed (Forget), so that a delete the
        // kernel refuses is retried on the same deadline rather than starting a new drain.
        if ((ulong)activeConnections + inactiveConnections == 0) return DrainDecision.DeleteDrained;
        var now = _time.GetUtcNow();
        if (_entries.TryGetValue(destination, out var entry))
        {
            if (now >= entry.Deadline) return DrainDecision.DeleteTimedOut;
            if (entry.Reason != reason || (owner is not null && entry.Owner != owner))
                _entries[destination] = entry with { Reason = reason, Owner = owner ?? entry.Owner };
            return DrainDecision.Keep;
        }
        if (Timeout == TimeSpan.Zero) return DrainDecision.DeleteTimedOut;
        _entries.Add(destination, new DrainEntry(destination, reason, now, now + Timeout, owner));
        return DrainDecision.Keep;
    }

    /// <summary>The destination is wanted again; returns the drain it ends, if one was running.</summary>
    public DrainEntry? Restore(DestinationRef destination) =>
        _entries.Remove(destination, out var entry) ? entry : null;

    /// <summary>Forgets a destination that is gone from the kernel.</summary>
    public void Forget(DestinationRef destination) => _entries.Remove(destination);

    /// <summary>Forgets every drain that <paramref name="stillThere"/> does not confirm.</summary>
    public void Retain(Func<DestinationRef, bool> stillThere)
    {
        List<DestinationRef>? gone = null;
        foreach (var key in _entries.Keys)
        {
            if (!stillThere(key)) (gone ??= []).Add(key);
        }
        if (gone is null) return;
        foreach (var key in gone) _entries.Remove(key);
    }

    public void Clear() => _entries.Clear();
}
