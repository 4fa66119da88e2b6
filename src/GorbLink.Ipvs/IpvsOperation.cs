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
}

/// <summary>Outcome of a batch: which operations the kernel refused, and why.</summary>
public sealed record IpvsBatchResult(int Count, IReadOnlyList<IpvsException> Failures)
{
    public bool Succeeded => Failures.Count == 0;

    public void ThrowIfFailed()
    {
        if (Failures.Count > 0) throw Failures[0];
    }
}
