using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Planning;
using GorbLink.Ipvs;
using GorbLink.Netlink;

namespace GorbLink.Core.Reconcile;

/// <summary>
/// What the kernel said to each operation of one batch: the operations as sent and the failures, matched to them by
/// their index in the batch. An empty plan has no outcome worth sending: <see cref="None"/>.
/// </summary>
internal sealed class BatchOutcome
{
    private readonly Dictionary<int, IpvsOperationFailure> _byIndex;

    public BatchOutcome(IReadOnlyList<IpvsOperation> operations, IReadOnlyList<IpvsOperationFailure> failures)
    {
        Operations = operations;
        Failures = failures;
        _byIndex = new Dictionary<int, IpvsOperationFailure>(failures.Count);
        foreach (var failure in failures) _byIndex.TryAdd(failure.Index, failure);
    }

    public static BatchOutcome None { get; } = new([], []);

    public IReadOnlyList<IpvsOperation> Operations { get; }
    public IReadOnlyList<IpvsOperationFailure> Failures { get; }

    /// <summary>The failure of operation <paramref name="index"/>, or null when the kernel accepted it.</summary>
    public IpvsOperationFailure? FailureAt(int index) => _byIndex.GetValueOrDefault(index);

    public bool Accepted(int index) => !_byIndex.ContainsKey(index);

    public int AcceptedCount => Operations.Count - _byIndex.Count;
}

/// <summary>
/// Sends a plan as one batch and brings the ownership record and the drains in line with what the kernel accepted.
/// </summary>
/// <remarks>
/// Crash safety: before a batch that creates something, the owned set plus the planned creates is written to the
/// ownership file; the caller rewrites the file with exactly what was accepted after the batch. A crash in between
/// leaves the file listing a little more than the kernel has, which the next pass forgets; it never leaves an entry
/// GorbLink created unlisted, where it would be foreign forever.
/// </remarks>
internal static class KernelBatch
{
    /// <param name="applied">Called for each accepted step, in order, to log it.</param>
    /// <exception cref="IpvsException">The batch failed as a whole (netlink failure); nothing is recorded.</exception>
    public static async Task<BatchOutcome> ExecuteAsync(
        IIpvsClient ipvs,
        OwnershipStore ownership,
        IpvsPlan plan,
        OwnedTable.Builder owned,
        DrainTracker drains,
        Action<IpvsPlanStep> applied,
        CancellationToken cancellationToken)
    {
        if (plan.IsEmpty) return BatchOutcome.None;

        var creates = plan.Operations.Where(o => o.Kind is IpvsOperationKind.CreateService or IpvsOperationKind.CreateDestination).ToList();
        if (creates.Count > 0)
        {
            var ahead = owned.ToTable().ToBuilder();
            foreach (var operation in creates) Record(ahead, operation, drains: null);
            ownership.Save(ahead.ToTable());
            CrashPoints.Reached(CrashPoint.WriteAhead);
        }

        var batch = await ipvs.ExecuteAsync(plan.Operations, cancellationToken).ConfigureAwait(false);
        var outcome = new BatchOutcome(plan.Operations, batch.Failures);
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            if (outcome.FailureAt(i) is { } failure)
            {
                // A delete of something already gone did what it was meant to.
                if (failure.Error.Errno.IsNotFound && step.Operation.Kind is IpvsOperationKind.DeleteService or IpvsOperationKind.DeleteDestination)
                    Record(owned, step.Operation, drains);
                continue;
            }
            Record(owned, step.Operation, drains);
            applied(step);
        }
        CrashPoints.Reached(CrashPoint.AfterBatch);
        return outcome;
    }

    private static void Record(OwnedTable.Builder owned, IpvsOperation operation, DrainTracker? drains)
    {
        switch (operation)
        {
            case IpvsOperation.CreateService create:
                owned.AddService(create.Service.Key);
                break;
            case IpvsOperation.CreateDestination create:
                owned.AddDestination(create.Service, create.Destination.Key);
                break;
            case IpvsOperation.DeleteService delete:
                foreach (var destination in owned.DestinationsOf(delete.Service).ToList())
                    drains?.Forget(new DestinationRef(delete.Service, destination));
                owned.RemoveService(delete.Service);
                break;
            case IpvsOperation.DeleteDestination delete:
                owned.RemoveDestination(delete.Service, delete.Destination);
                drains?.Forget(new DestinationRef(delete.Service, delete.Destination));
                break;
        }
    }
}
