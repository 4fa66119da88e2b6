using GorbLink.Core.Containers;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;

namespace GorbLink.Core.Desired;

/// <summary>A destination within a virtual service: the key of per-destination facts.</summary>
public readonly record struct DestinationRef(VirtualServiceKey Service, DestinationKey Destination)
{
    public override string ToString() => $"{Destination} of {Service}";
}

/// <summary>The container behind a desired destination, as it was when the state was computed.</summary>
/// <param name="Draining">
/// The container is stopping, paused, restarting or unhealthy: the destination is desired with weight 0 so that
/// existing connections finish; the reconciler's drain tracker decides when it goes.
/// </param>
public sealed record DestinationOwner(
    string ContainerId,
    string ContainerName,
    ContainerHealth Health,
    ContainerLifecycle Lifecycle,
    bool Draining)
{
    public string ShortId => ContainerId.Length > 12 ? ContainerId[..12] : ContainerId;
    public override string ToString() => $"container {ContainerName} ({ShortId})";
}

/// <summary>A desired service's name and the container whose labels set its scheduler, flags and persistence.</summary>
public sealed record ServiceInfo(string Name, string HolderId, string HolderName)
{
    /// <summary>The holder's container port behind this service (the virtual port where they are the same); 0: unknown.</summary>
    public ushort ContainerPort { get; init; }

    /// <summary>True when the holder's service label gave <see cref="Name"/>; false when it is the container's default name.</summary>
    public bool NamedByLabel { get; init; } = true;

    /// <summary>The holder's image as it was given (e.g. "nginx:latest"); empty when unknown. GORB's vsIDs are made from it.</summary>
    public string HolderImage { get; init; } = "";
}

/// <summary>What a conflict refused.</summary>
public enum ConflictKind
{
    /// <summary>The VIP:port/protocol belongs to a service of another name.</summary>
    ServiceName,
    /// <summary>Same service, but scheduler, flags or persistence differ from the holder's.</summary>
    ServiceSettings,
    /// <summary>Another container already supplies this address:port to the service.</summary>
    DuplicateDestination,
}

/// <summary>
/// A container refused because another container holds what it claims. The refused container contributes nothing.
/// <paramref name="Detail"/> is the whole reason, naming the holder.
/// </summary>
public sealed record ConflictError(
    ConflictKind Kind,
    VirtualServiceKey Service,
    string ContainerId,
    string ContainerName,
    string HolderId,
    string HolderName,
    string Detail)
{
    public string ShortId => ContainerId.Length > 12 ? ContainerId[..12] : ContainerId;

    /// <summary>e.g. <c>container web-2 (…): refused: tcp 10.0.0.1:80 is held by container web-1 (…) for service "web" with scheduler wrr; this container asks for scheduler rr</c>.</summary>
    public string Message => $"container {ContainerName} ({ShortId}): refused: {Detail}";

    public override string ToString() => Message;
}

/// <summary>
/// The virtual services the containers ask for, computed from scratch by <see cref="DesiredStateBuilder"/>:
/// services sorted by key (<see cref="KeyOrder"/>), destinations sorted by key, plus who each destination belongs to.
/// </summary>
public sealed class DesiredState
{
    // Plain dictionaries: a state lives for one reconcile pass, so Frozen* construction cost would not pay off.
    private readonly Dictionary<VirtualServiceKey, DesiredService> _byKey;
    private readonly HashSet<string> _containerIds;

    internal DesiredState(
        IReadOnlyList<DesiredService> services,
        Dictionary<VirtualServiceKey, ServiceInfo> serviceInfo,
        Dictionary<DestinationRef, DestinationOwner> owners,
        IReadOnlyList<LabelError> errors,
        IReadOnlyList<ConflictError> conflicts)
    {
        Services = services;
        ServiceInfo = serviceInfo;
        Owners = owners;
        Errors = errors;
        Conflicts = conflicts;
        _byKey = new Dictionary<VirtualServiceKey, DesiredService>(services.Count);
        foreach (var s in services) _byKey.Add(s.Key, s);
        _containerIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var owner in owners.Values) _containerIds.Add(owner.ContainerId);
    }

    public static DesiredState Empty { get; } = new(
        [],
        [],
        [],
        [],
        []);

    /// <summary>
    /// A desired state from a source other than containers (`serve`'s REST API): <paramref name="services"/> in any
    /// order, each with its name; sorted here as <see cref="DesiredStateBuilder"/> sorts. No owners, errors or conflicts.
    /// </summary>
    /// <param name="holder">Who set the services (ServiceInfo.HolderName), e.g. "serve".</param>
    /// <exception cref="ArgumentException">A service key is listed twice.</exception>
    public static DesiredState FromServices(IEnumerable<(string Name, DesiredService Service)> services, string holder)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        var info = new Dictionary<VirtualServiceKey, ServiceInfo>();
        var list = new List<DesiredService>();
        foreach (var (name, service) in services)
        {
            if (!info.TryAdd(service.Key, new ServiceInfo(name, holder, holder)))
                throw new ArgumentException($"service {service.Key} is listed twice ({info[service.Key].Name} and {name})", nameof(services));
            var destinations = service.Destinations.ToArray();
            Array.Sort(destinations, static (a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
            list.Add(service with { Destinations = destinations });
        }
        list.Sort(static (a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
        return new DesiredState(list, info, [], [], []);
    }

    /// <summary>Sorted by key; each has at least one destination. Draining destinations are included with weight 0.</summary>
    public IReadOnlyList<DesiredService> Services { get; }

    /// <summary>Name and holder of every service in <see cref="Services"/>.</summary>
    public IReadOnlyDictionary<VirtualServiceKey, ServiceInfo> ServiceInfo { get; }

    /// <summary>The container behind every destination in <see cref="Services"/>.</summary>
    public IReadOnlyDictionary<DestinationRef, DestinationOwner> Owners { get; }

    /// <summary>Containers whose labels are wrong; each one line, sorted by container name and id.</summary>
    public IReadOnlyList<LabelError> Errors { get; }

    /// <summary>Containers refused because another one holds what they claim.</summary>
    public IReadOnlyList<ConflictError> Conflicts { get; }

    public DesiredService? Find(VirtualServiceKey key) => _byKey.GetValueOrDefault(key);

    /// <summary>True when the container supplies at least one destination (draining ones included).</summary>
    public bool Contains(string containerId) => _containerIds.Contains(containerId);

    public DestinationOwner? OwnerOf(VirtualServiceKey service, DestinationKey destination) =>
        Owners.GetValueOrDefault(new DestinationRef(service, destination));

    public bool IsDraining(VirtualServiceKey service, DestinationKey destination) =>
        OwnerOf(service, destination)?.Draining == true;
}
