namespace GorbLink.Ipvs;

/// <summary>One write to the IPVS table; batches of these go to <see cref="IIpvsClient.ExecuteAsync"/>.</summary>
public abstract record IpvsOperation
{
    private protected IpvsOperation() { }

    public abstract IpvsOperationKind Kind { get; }
    /// <summary>The object it writes, in words: "service tcp 10.0.0.1:80" or "destination 10.1.0.1:8080 of service tcp 10.0.0.1:80".</summary>
    public abstract string Target { get; }

    public sealed record CreateService(VirtualService Service) : IpvsOperation
    {
        public override IpvsOperationKind Kind => IpvsOperationKind.CreateService;
        public override string Target => $"service {Service.Key}";
    }

    public sealed record UpdateService(VirtualService Service) : IpvsOperation
    {
        public override IpvsOperationKind Kind => IpvsOperationKind.UpdateService;
        public override string Target => $"service {Service.Key}";
    }

    public sealed record DeleteService(VirtualServiceKey Service) : IpvsOperation
    {
        public override IpvsOperationKind Kind => IpvsOperationKind.DeleteService;
        public override string Target => $"service {Service}";
    }

    public sealed record CreateDestination(VirtualServiceKey Service, Destination Destination) : IpvsOperation
    {
        public override IpvsOperationKind Kind => IpvsOperationKind.CreateDestination;
        public override string Target => $"destination {Destination.Key} of service {Service}";
    }

    public sealed record UpdateDestination(VirtualServiceKey Service, Destination Destination) : IpvsOperation
    {
        public override IpvsOperationKind Kind => IpvsOperationKind.UpdateDestination;
        public override string Target => $"destination {Destination.Key} of service {Service}";
    }

    public sealed record DeleteDestination(VirtualServiceKey Service, DestinationKey Destination) : IpvsOperation
    {
        public override IpvsOperationKind Kind => IpvsOperationKind.DeleteDestination;
        public override string Target => $"destination {Destination} of service {Service}";
    }
}

public enum IpvsOperationKind
{
    CreateService,
    UpdateService,
    DeleteService,
    CreateDestination,
    UpdateDestination,
    DeleteDestination,
    GetService,
    GetDestinations,
    GetInfo,
    GetConfig,
    SetConfig,
    Zero,
    Flush,
    StartDaemon,
    StopDaemon,
    GetDaemons,
    /// <summary>A whole batch, when the socket failed under it (send, receive, timeout) and no one message is to blame.</summary>
    Batch,
}

/// <summary>One operation of a batch that the kernel refused: its position in the batch, the operation, and why.</summary>
public sealed record IpvsOperationFailure(int Index, IpvsOperation Operation, IpvsException Error)
{
    public string Message => Error.Message;
    public override string ToString() => Error.Message;
}

/// <summary>
/// Outcome of a batch: which operations the kernel refused, and why, in batch order. Each failure carries the index of
/// its operation, so a caller matches failures to what it sent by position, never by text (two operations may read
/// the same).
/// </summary>
public sealed record IpvsBatchResult(int Count, IReadOnlyList<IpvsOperationFailure> Failures)
{
    public bool Succeeded => Failures.Count == 0;

    /// <summary>The failure of the operation at <paramref name="index"/>, or null when the kernel accepted it.</summary>
    public IpvsOperationFailure? FailureAt(int index)
    {
        foreach (var failure in Failures)
        {
            if (failure.Index == index) return failure;
        }
        return null;
    }

    public void ThrowIfFailed()
    {
        if (Failures.Count > 0) throw Failures[0].Error;
    }
}
