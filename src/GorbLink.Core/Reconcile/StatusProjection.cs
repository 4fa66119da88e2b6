using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Planning;
using GorbLink.Core.Status;
using GorbLink.Ipvs;

namespace GorbLink.Core.Reconcile;

/// <summary>
/// GorbLink's part of the kernel after a pass, for the status file: computed per object from the kernel's answer (the
/// dump read at the start of the pass) and what the kernel said to each operation of the batch. An object whose
/// operation the kernel accepted shows what that operation wrote; one whose operation was refused, or that had none,
/// shows the dump, counters included. Nothing is taken from the plan on trust: a refused create is absent, a refused
/// update keeps the old values, a refused delete stays listed.
/// </summary>
/// <remarks>
/// A plan writes each service and each destination at most once (IpvsPlanner), so one accepted operation per object
/// decides it; the order of the batch does not matter.
/// </remarks>
internal static class StatusProjection
{
    /// <param name="kernel">The dump of the pass.</param>
    /// <param name="owned">Ownership after the batch: what is listed, and which destinations are foreign.</param>
    /// <param name="outcome">The batch and its per-operation results; <see cref="BatchOutcome.None"/> when nothing was sent (dry run, empty plan).</param>
    public static IReadOnlyList<ServiceStatusEntry> Project(
        IReadOnlyDictionary<VirtualServiceKey, VirtualServiceTable> kernel,
        OwnedTable owned,
        DesiredState desired,
        DrainTracker drains,
        BatchOutcome outcome)
    {
        var accepted = AcceptedWrites.Of(outcome);
        var services = new List<ServiceStatusEntry>();
        foreach (var key in owned.Services)
        {
            kernel.TryGetValue(key, out var dumped);
            var written = accepted.Services.GetValueOrDefault(key);
            if (written is IpvsOperation.DeleteService) continue;
            VirtualService? spec = written switch
            {
                IpvsOperation.CreateService o => o.Service,
                IpvsOperation.UpdateService o => o.Service,
                _ => dumped?.Service.Service,
            };
            // Owned but neither in the dump nor created by this batch: the record is ahead of the kernel (write-ahead).
            if (spec is null) continue;
            var stats = written is IpvsOperation.CreateService ? IpvsStats.Empty : dumped?.Service.Stats ?? IpvsStats.Empty;
            services.Add(Service(key, spec, stats, Destinations(key, dumped, accepted, owned, desired, drains), desired.ServiceInfo.GetValueOrDefault(key)));
        }
        return services;
    }

    private static List<DestinationStatusEntry> Destinations(
        VirtualServiceKey key,
        VirtualServiceTable? dumped,
        AcceptedWrites accepted,
        OwnedTable owned,
        DesiredState desired,
        DrainTracker drains)
    {
        var destinations = new Dictionary<DestinationKey, DestinationStatus>();
        if (dumped is not null)
        {
            foreach (var d in dumped.Destinations) destinations.TryAdd(d.Key, d);
        }
        foreach (var (reference, operation) in accepted.Destinations)
        {
            if (reference.Service != key) continue;
            switch (operation)
            {
                case IpvsOperation.CreateDestination o:
                    destinations[o.Destination.Key] = new DestinationStatus(o.Destination, 0, 0, 0, IpvsStats.Empty);
                    break;
                case IpvsOperation.UpdateDestination o when destinations.TryGetValue(o.Destination.Key, out var d):
                    destinations[o.Destination.Key] = d with { Destination = o.Destination };
                    break;
                case IpvsOperation.DeleteDestination o:
                    destinations.Remove(o.Destination);
                    break;
            }
        }

        var entries = new List<DestinationStatusEntry>(destinations.Count);
        foreach (var dkey in destinations.Keys.Order(KeyOrder.Instance))
        {
            var d = destinations[dkey];
            var foreign = !owned.Owns(key, dkey);
            drains.TryGet(new DestinationRef(key, dkey), out var drain);
            var owner = desired.OwnerOf(key, dkey) ?? drain?.Owner;
            entries.Add(new DestinationStatusEntry
            {
                Address = dkey.Address.ToString(),
                Port = dkey.Port,
                Forward = IpvsNames.Forward(KernelReadback.RequestedForward(d.Destination.Spec.Forward)),
                Weight = d.Destination.Spec.Weight,
                ActiveConnections = d.ActiveConnections,
                InactiveConnections = d.InactiveConnections,
                State = foreign ? "foreign" : drain is not null ? "draining" : "active",
                Container = foreign || owner is null ? null : new ContainerStatusEntry
                {
                    Id = owner.ContainerId,
                    Name = owner.ContainerName,
                    Health = owner.Health.ToString().ToLowerInvariant(),
                    Lifecycle = owner.Lifecycle.ToString().ToLowerInvariant(),
                },
                DrainingSince = drain?.Since,
                DrainDeadline = drain?.Deadline,
            });
        }
        return entries;
    }

    private static ServiceStatusEntry Service(VirtualServiceKey key, VirtualService service, IpvsStats stats, List<DestinationStatusEntry> destinations, ServiceInfo? info) => new()
    {
        Service = key.ToString(),
        Name = info?.Name,
        Protocol = key.IsFirewallMark ? null : IpvsNames.Protocol(key.Protocol),
        Address = key.Address?.ToString(),
        Port = key.IsFirewallMark ? null : key.Port,
        Fwmark = key.IsFirewallMark ? key.FirewallMark : null,
        Family = IpvsNames.Family(key.Family),
        Scheduler = service.Spec.Scheduler,
        State = info is null ? "removing" : "active",
        Connections = stats.Connections,
        InPackets = stats.InPackets,
        OutPackets = stats.OutPackets,
        InBytes = stats.InBytes,
        OutBytes = stats.OutBytes,
        Destinations = destinations,
    };

    /// <summary>The operations the kernel accepted, by the object they wrote.</summary>
    private sealed record AcceptedWrites(
        Dictionary<VirtualServiceKey, IpvsOperation> Services,
        Dictionary<DestinationRef, IpvsOperation> Destinations)
    {
        public static AcceptedWrites Of(BatchOutcome outcome)
        {
            var writes = new AcceptedWrites([], []);
            for (var i = 0; i < outcome.Operations.Count; i++)
            {
                if (!outcome.Accepted(i)) continue;
                switch (outcome.Operations[i])
                {
                    case IpvsOperation.CreateService o: writes.Services[o.Service.Key] = o; break;
                    case IpvsOperation.UpdateService o: writes.Services[o.Service.Key] = o; break;
                    case IpvsOperation.DeleteService o: writes.Services[o.Service] = o; break;
                    case IpvsOperation.CreateDestination o: writes.Destinations[new DestinationRef(o.Service, o.Destination.Key)] = o; break;
                    case IpvsOperation.UpdateDestination o: writes.Destinations[new DestinationRef(o.Service, o.Destination.Key)] = o; break;
                    case IpvsOperation.DeleteDestination o: writes.Destinations[new DestinationRef(o.Service, o.Destination)] = o; break;
                }
            }
            return writes;
        }
    }
}
