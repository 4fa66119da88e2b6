using System.Globalization;
using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Planning;
using GorbLink.Ipvs;

namespace GorbLink.Core.Reconcile;

/// <summary>
/// The part of the kernel GorbLink may touch in one pass, as the planner's desired and actual tables: services and
/// destinations the ownership store lists, plus what containers ask for that nobody else holds. A desired service whose
/// key is in the kernel but not owned is refused and left alone, and so is a desired destination someone else added to
/// an owned service. Owned destinations nobody wants, or whose container drains, go through the <see cref="DrainPolicy"/>.
/// </summary>
/// <remarks>One instance per pass; not thread-safe.</remarks>
internal sealed class OwnedScope
{
    private readonly DesiredState _desired;
    private readonly OwnedTable.Builder _owned;
    private readonly DrainPolicy _drains;
    private readonly IReadOnlyDictionary<DestinationRef, DestinationOwner> _lastOwners;

    private OwnedScope(DesiredState desired, OwnedTable.Builder owned, DrainPolicy drains, IReadOnlyDictionary<DestinationRef, DestinationOwner> lastOwners)
    {
        _desired = desired;
        _owned = owned;
        _drains = drains;
        _lastOwners = lastOwners;
    }

    /// <summary>Desired services restricted to what GorbLink may write, draining destinations at weight 0.</summary>
    public List<DesiredService> Desired { get; } = [];
    /// <summary>The owned part of the kernel: owned services with their owned destinations only.</summary>
    public List<VirtualServiceTable> Actual { get; } = [];
    public List<ReconcileRefusal> Refusals { get; } = [];
    /// <summary>Why a destination changes, appended to its log line.</summary>
    public Dictionary<DestinationRef, string> Reasons { get; } = [];
    /// <summary>Owned services no container wants that stay only because they hold foreign destinations.</summary>
    public Dictionary<VirtualServiceKey, IReadOnlyList<DestinationKey>> KeptForForeign { get; } = [];

    /// <summary>
    /// Scopes one pass. <paramref name="lastOwners"/> are the owners of the previous pass, to name the container of a
    /// destination that is no longer wanted.
    /// </summary>
    public static OwnedScope Build(
        DesiredState desired,
        OwnedTable.Builder owned,
        IReadOnlyDictionary<VirtualServiceKey, VirtualServiceTable> kernel,
        DrainPolicy drains,
        IReadOnlyDictionary<DestinationRef, DestinationOwner> lastOwners)
    {
        var scope = new OwnedScope(desired, owned, drains, lastOwners);
        var handled = new HashSet<VirtualServiceKey>();
        foreach (var service in desired.Services)
        {
            var current = kernel.GetValueOrDefault(service.Key);
            if (current is not null && !owned.Owns(service.Key))
            {
                scope.Refusals.Add(ForeignService(service, desired));
                continue;
            }
            handled.Add(service.Key);
            scope.AddService(service.Service, service.Destinations, current, wanted: true, service.KeepWhenEmpty);
        }
        foreach (var key in owned.Services.Order(KeyOrder.Instance).ToList())
        {
            if (handled.Contains(key)) continue;
            var current = kernel[key];
            if (scope.AddService(current.Service.Service, [], current, wanted: false) is { Count: > 0 } foreign)
                scope.KeptForForeign[key] = foreign;
        }
        return scope;
    }

    /// <summary>The dump by key; the first of duplicate keys wins (the kernel never reports two).</summary>
    public static Dictionary<VirtualServiceKey, VirtualServiceTable> Index(IReadOnlyList<VirtualServiceTable> tables)
    {
        var kernel = new Dictionary<VirtualServiceKey, VirtualServiceTable>(tables.Count);
        foreach (var table in tables) kernel.TryAdd(table.Key, table);
        return kernel;
    }

    /// <summary>
    /// Forgets owned entries the kernel no longer has (deleted by someone else, or never created before a crash).
    /// Calls <paramref name="forgotService"/> and <paramref name="forgotDestination"/> for each, to log it.
    /// </summary>
    public static void ForgetStale(
        OwnedTable.Builder owned,
        IReadOnlyDictionary<VirtualServiceKey, VirtualServiceTable> kernel,
        Action<VirtualServiceKey> forgotService,
        Action<DestinationRef> forgotDestination)
    {
        foreach (var key in owned.Services.ToList())
        {
            if (!kernel.TryGetValue(key, out var table))
            {
                owned.RemoveService(key);
                forgotService(key);
                continue;
            }
            var present = new HashSet<DestinationKey>(table.Destinations.Count);
            foreach (var destination in table.Destinations) present.Add(destination.Key);
            owned.RemoveDestinationsWhere(key, d =>
            {
                if (present.Contains(d)) return false;
                forgotDestination(new DestinationRef(key, d));
                return true;
            });
        }
    }

    /// <summary>
    /// Adds one service: <paramref name="destinations"/> are those containers ask for, <paramref name="current"/> is the
    /// service in the kernel (owned) or null, <paramref name="wanted"/> says whether any container still asks for the
    /// service. Returns the foreign destinations when an unwanted service is kept only because of them.
    /// </summary>
    private List<DestinationKey>? AddService(VirtualService service, IReadOnlyList<Destination> destinations, VirtualServiceTable? current, bool wanted,
        bool keepWhenEmpty = false)
    {
        var key = service.Key;
        var inKernel = new Dictionary<DestinationKey, DestinationStatus>(current?.Destinations.Count ?? 0);
        var ownedActual = new List<DestinationStatus>(current?.Destinations.Count ?? 0);
        List<DestinationKey>? foreign = null;
        if (current is not null)
        {
            foreach (var d in current.Destinations)
            {
                if (!inKernel.TryAdd(d.Key, d)) continue;
                if (_owned.Owns(key, d.Key)) ownedActual.Add(d);
                else (foreign ??= []).Add(d.Key);
            }
        }

        var keep = new List<Destination>(destinations.Count + ownedActual.Count);
        var wantedKeys = new HashSet<DestinationKey>(destinations.Count);
        foreach (var destination in destinations)
        {
            wantedKeys.Add(destination.Key);
            var reference = new DestinationRef(key, destination.Key);
            var owner = _desired.OwnerOf(key, destination.Key);
            inKernel.TryGetValue(destination.Key, out var status);
            if (status is not null && !_owned.Owns(key, destination.Key))
            {
                Refusals.Add(new ReconcileRefusal(key, destination.Key,
                    $"destination {destination.Key} of service {key} already exists and GorbLink did not add it; leaving it as it is" +
                    (owner is null ? "" : $" ({owner} asks for it)")));
                continue;
            }
            if (owner is not { Draining: true })
            {
                if (_drains.Restore(reference, owner) is { } restored) Reasons[reference] = restored;
                keep.Add(destination);
                continue;
            }
            // A draining destination is never added: at weight 0 it would serve nothing.
            if (status is null) continue;
            _drains.Decide(reference, status, DrainReason.ContainerDraining, owner, destination, keep, Reasons);
        }

        foreach (var status in ownedActual)
        {
            if (wantedKeys.Contains(status.Key)) continue;
            var reference = new DestinationRef(key, status.Key);
            var owner = _lastOwners.GetValueOrDefault(reference) ?? (_drains.Drains.TryGet(reference, out var entry) ? entry.Owner : null);
            _drains.Decide(reference, status, DrainReason.NoLongerWanted, owner,
                status.Destination with { Spec = status.Destination.Spec with { Weight = 0 } }, keep, Reasons);
        }

        if (current is not null) Actual.Add(current with { Destinations = ownedActual });
        // With nothing left to serve or drain the service goes (the planner prunes it), or is not created;
        // unless destinations someone else added keep it alive.
        // A GORB service is created before its backends (DesiredService.KeepWhenEmpty); a container service never is empty.
        if (keep.Count == 0 && foreign is null && !keepWhenEmpty) return null;
        if (!wanted) service = current!.Service.Service; // no longer wanted: leave its spec as it is
        Desired.Add(new DesiredService(service, keep));
        return keep.Count == 0 && !wanted ? foreign : null;
    }

    private static ReconcileRefusal ForeignService(DesiredService service, DesiredState desired)
    {
        var key = service.Key;
        var who = desired.ServiceInfo.TryGetValue(key, out var info)
            ? $" (service \"{info.Name}\" of container {info.HolderName})"
            : "";
        return new ReconcileRefusal(key, null,
            $"refusing service {key}{who}: a service with this address, port and protocol already exists in the kernel and " +
            "GorbLink did not create it (ipvsadm, keepalived or kube-proxy?); it and its destinations are left untouched. " +
            $"Use another VIP or port, or remove that service (ipvsadm -D {IpvsadmServiceArgument(key)}) if it is a leftover.");
    }

    private static string IpvsadmServiceArgument(VirtualServiceKey key) => key.IsFirewallMark
        ? $"-f {key.FirewallMark.ToString(CultureInfo.InvariantCulture)}{(key.Family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? " -6" : "")}"
        : $"{key.Protocol switch { IpvsProtocol.Udp => "-u", IpvsProtocol.Sctp => "--sctp-service", _ => "-t" }} {IpvsNames.Endpoint(key.Address!, key.Port)}";
}
