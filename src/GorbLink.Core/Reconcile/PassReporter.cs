using GorbLink.Core.Ownership;
using GorbLink.Ipvs;
using Microsoft.Extensions.Logging;

namespace GorbLink.Core.Reconcile;

/// <summary>
/// The reconciler's log-once bookkeeping: a refusal, a refused write or a service kept for foreign destinations is
/// logged at its level the first time and quietly while it lasts; an end of a refusal is said once. Level-triggered
/// passes see the same problem every few seconds; the log must not.
/// </summary>
/// <remarks>Not thread-safe; used inside a serialised pass.</remarks>
internal sealed class PassReporter(ILogger logger)
{
    private HashSet<string> _reportedRefusals = new(StringComparer.Ordinal);
    private Dictionary<VirtualServiceKey, string> _refusedServices = [];
    private HashSet<string> _reportedFailures = new(StringComparer.Ordinal);
    private HashSet<VirtualServiceKey> _reportedKeptServices = [];
    private string? _lastDryRunPlan;
    private bool _ownershipReported;

    /// <summary>Desired services and destinations left alone because someone else made them.</summary>
    public void Refusals(IReadOnlyList<ReconcileRefusal> refusals)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var services = new Dictionary<VirtualServiceKey, string>();
        foreach (var refusal in refusals)
        {
            seen.Add(refusal.Message);
            if (refusal.Destination is null) services.TryAdd(refusal.Service, refusal.Message);
            if (_reportedRefusals.Contains(refusal.Message)) continue;
            if (refusal.Destination is null) Log.ForeignServiceRefused(logger, refusal.Message);
            else Log.ForeignDestinationLeftAlone(logger, refusal.Message);
        }
        foreach (var key in _refusedServices.Keys)
        {
            if (!services.ContainsKey(key)) Log.RefusalResolved(logger, key.ToString());
        }
        _reportedRefusals = seen;
        _refusedServices = services;
    }

    /// <summary>Owned services nobody wants that stay for destinations someone else added.</summary>
    public void KeptServices(IReadOnlyDictionary<VirtualServiceKey, IReadOnlyList<DestinationKey>> kept)
    {
        foreach (var (key, foreign) in kept)
        {
            if (!_reportedKeptServices.Contains(key))
                Log.ServiceKeptForForeignDestinations(logger, key.ToString(), string.Join(", ", foreign));
        }
        _reportedKeptServices = [.. kept.Keys];
    }

    /// <summary>Operations the kernel refused in this batch.</summary>
    public void RefusedWrites(IReadOnlyList<IpvsOperationFailure> failures)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var failure in failures)
        {
            seen.Add(failure.Message);
            if (_reportedFailures.Contains(failure.Message)) Log.OperationRefusedAgain(logger, failure.Message);
            else Log.OperationRefused(logger, failure.Message);
        }
        _reportedFailures = seen;
    }

    /// <summary>A dry run's plan: each change once, then a short line while the plan stays the same.</summary>
    public void DryRun(string planText, int count, IEnumerable<string> changes)
    {
        if (count > 0 && planText == _lastDryRunPlan) Log.DryRunUnchanged(logger, count);
        else foreach (var change in changes) Log.WouldApply(logger, change);
        _lastDryRunPlan = planText;
    }

    /// <summary>What the ownership file said, the first time it is read.</summary>
    public void OwnershipLoaded(OwnershipStore ownership, OwnedTable table)
    {
        if (_ownershipReported) return;
        _ownershipReported = true;
        if (ownership.LoadedFile is not { } file)
        {
            Log.OwnershipFileMissing(logger, ownership.FilePath);
            return;
        }
        Log.OwnershipLoaded(logger, file.Path, table.ServiceCount, table.DestinationCount);
        if (file.LabelPrefix is { } prefix && !string.Equals(prefix, ownership.Options.LabelPrefix, StringComparison.Ordinal))
            Log.LabelPrefixChanged(logger, file.Path, prefix, ownership.Options.LabelPrefix);
    }
}
