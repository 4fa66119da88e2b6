using GorbLink.Core.Planning;
using GorbLink.Ipvs;

namespace GorbLink.Core.Reconcile;

/// <summary>A desired service or destination the reconciler would not touch, because someone else made it.</summary>
public sealed record ReconcileRefusal(VirtualServiceKey Service, DestinationKey? Destination, string Message)
{
    public override string ToString() => Message;
}

/// <summary>What one reconcile pass did.</summary>
public sealed record ReconcileResult
{
    /// <summary>The writes of this pass, in the order they were sent as one batch (or would have been, in a dry run).</summary>
    public required IpvsPlan Plan { get; init; }
    /// <summary>
    /// Operations the kernel refused, each with its index in <see cref="Plan"/>, the operation and the error; everything
    /// else in the batch was applied. The next pass retries. Match them to what you asked for by operation, never by text.
    /// </summary>
    public IReadOnlyList<IpvsOperationFailure> Failures { get; init; } = [];
    /// <summary>Desired services and destinations left alone because they belong to someone else.</summary>
    public IReadOnlyList<ReconcileRefusal> Refusals { get; init; } = [];
    /// <summary>Operations the kernel accepted; 0 in a dry run.</summary>
    public int Applied { get; init; }
    /// <summary>Batches sent to the kernel: 1 when there was something to write, else 0.</summary>
    public int Batches { get; init; }
    /// <summary>Destinations at weight 0 waiting for their connections to end.</summary>
    public int PendingDrains { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>When the loop must run the next pass even if nothing changes (drains to check, refused writes to retry); null: no need.</summary>
    public DateTimeOffset? NextWakeUp { get; init; }
    public bool DryRun { get; init; }

    public bool Succeeded => Failures.Count == 0;
}
