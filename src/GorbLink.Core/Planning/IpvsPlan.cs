using GorbLink.Ipvs;

namespace GorbLink.Core.Planning;

/// <summary>
/// One operation of a plan and what it changes, in words: "~ destination 10.1.0.1:8080 of service tcp 10.0.0.1:80: weight 1 -> 5".
/// The words are made when first asked for: a plan of 11,000 creates that nobody prints costs no strings
/// (they were a third of planning's time and most of its allocations).
/// </summary>
public sealed class IpvsPlanStep
{
    private readonly IReadOnlyList<string>? _changes;
    private string? _description;

    /// <param name="changes">For an update: what differs, e.g. "weight 1 -> 5"; null for creates and deletes.</param>
    public IpvsPlanStep(IpvsOperation operation, IReadOnlyList<string>? changes = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        Operation = operation;
        _changes = changes;
    }

    public IpvsOperation Operation { get; }

    public string Description => _description ??= IpvsPlanner.Describe(Operation, _changes);

    public override string ToString() => Description;
}

/// <summary>The operations that make the kernel table match the desired state, in an order that succeeds when sent as one batch.</summary>
public sealed class IpvsPlan
{
    public IpvsPlan(IReadOnlyList<IpvsPlanStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        Steps = steps;
        Operations = [.. steps.Select(step => step.Operation)];
    }

    public IReadOnlyList<IpvsPlanStep> Steps { get; }
    /// <summary>The operations alone, ready for <see cref="IIpvsClient.ExecuteAsync"/>.</summary>
    public IReadOnlyList<IpvsOperation> Operations { get; }
    public bool IsEmpty => Steps.Count == 0;

    public int Count(IpvsOperationKind kind) => Steps.Count(step => step.Operation.Kind == kind);

    /// <summary>One line per operation, or "no changes".</summary>
    public string Describe() => IsEmpty ? "no changes" : string.Join(Environment.NewLine, Steps.Select(step => step.Description));

    /// <summary>Counts per kind, e.g. "services: 1 created, 2 updated, 0 deleted; destinations: 3 created, 0 updated, 1 deleted".</summary>
    public string Summary() =>
        $"services: {Count(IpvsOperationKind.CreateService)} created, {Count(IpvsOperationKind.UpdateService)} updated, " +
        $"{Count(IpvsOperationKind.DeleteService)} deleted; destinations: {Count(IpvsOperationKind.CreateDestination)} created, " +
        $"{Count(IpvsOperationKind.UpdateDestination)} updated, {Count(IpvsOperationKind.DeleteDestination)} deleted";

    public override string ToString() => Describe();
}
