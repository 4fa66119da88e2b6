using System.Globalization;
using System.Net.Sockets;
using GorbLink.Core.Desired;
using GorbLink.Core.StateFiles;
using GorbLink.Ipvs;

namespace GorbLink.Core.Planning;

/// <summary>Compares the desired services with the kernel's table and plans the writes that make them equal.</summary>
public static class IpvsPlanner
{
    /// <summary>
    /// Plans creates, updates and deletes so that every desired service exists exactly as desired, destinations included.
    /// A service whose spec differs is updated in place (SET_SERVICE keeps the virtual address serving), never recreated.
    /// Kernel services that are not desired are deleted only with <see cref="IpvsPlannerOptions.Prune"/>, and only if owned.
    /// </summary>
    /// <remarks>
    /// Order: destination deletes, then service creates and updates, then destination creates and updates, then
    /// service deletes. A destination is only created after its service; removed destinations stop taking new
    /// connections before the service changes; services go last, after everything desired is in place. Deleting a
    /// service deletes its destinations with it, so those are not listed separately.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="desired"/> lists a service, or a destination of one service, twice.</exception>
    public static IpvsPlan Plan(
        IReadOnlyList<DesiredService> desired,
        IReadOnlyList<VirtualServiceTable> actual,
        IpvsPlannerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        options ??= IpvsPlannerOptions.Default;

        var actualByKey = new Dictionary<VirtualServiceKey, VirtualServiceTable>();
        foreach (var table in actual) actualByKey.TryAdd(table.Key, table);

        var destinationDeletes = new List<IpvsPlanStep>();
        var serviceWrites = new List<IpvsPlanStep>();
        var destinationWrites = new List<IpvsPlanStep>();
        var serviceDeletes = new List<IpvsPlanStep>();

        var desiredKeys = new HashSet<VirtualServiceKey>();
        foreach (var service in desired)
        {
            if (!desiredKeys.Add(service.Key))
                throw new ArgumentException($"the desired state lists service {service.Key} twice", nameof(desired));
            var desiredDestinations = new HashSet<DestinationKey>();
            foreach (var destination in service.Destinations)
            {
                if (!desiredDestinations.Add(destination.Key))
                    throw new ArgumentException($"the desired state lists {destination} of service {service.Key} twice", nameof(desired));
            }

            if (!actualByKey.TryGetValue(service.Key, out var current))
            {
                serviceWrites.Add(Step(new IpvsOperation.CreateService(service.Service)));
                foreach (var destination in service.Destinations)
                    destinationWrites.Add(Step(new IpvsOperation.CreateDestination(service.Key, destination)));
                continue;
            }

            var serviceChanges = ServiceChanges(service.Service.Spec, current.Service.Service.Spec, service.Key.Family);
            if (serviceChanges.Count > 0)
                serviceWrites.Add(Step(new IpvsOperation.UpdateService(service.Service), serviceChanges));

            var currentDestinations = new Dictionary<DestinationKey, DestinationStatus>();
            foreach (var destination in current.Destinations) currentDestinations.TryAdd(destination.Key, destination);
            foreach (var destination in service.Destinations)
            {
                if (!currentDestinations.TryGetValue(destination.Key, out var currentDestination))
                {
                    destinationWrites.Add(Step(new IpvsOperation.CreateDestination(service.Key, destination)));
                    continue;
                }
                var destinationChanges = DestinationChanges(destination.Spec, currentDestination.Destination.Spec);
                if (destinationChanges.Count > 0)
                    destinationWrites.Add(Step(new IpvsOperation.UpdateDestination(service.Key, destination), destinationChanges));
            }
            foreach (var key in currentDestinations.Keys.Where(key => !desiredDestinations.Contains(key)).Order(KeyOrder.Listing))
                destinationDeletes.Add(Step(new IpvsOperation.DeleteDestination(service.Key, key)));
        }

        if (options.Prune)
        {
            foreach (var key in actualByKey.Keys.Where(key => !desiredKeys.Contains(key) && options.IsOwned(key)).Order(KeyOrder.Listing))
                serviceDeletes.Add(Step(new IpvsOperation.DeleteService(key)));
        }

        return new IpvsPlan([.. destinationDeletes, .. serviceWrites, .. destinationWrites, .. serviceDeletes]);
    }

    private static IpvsPlanStep Step(IpvsOperation operation) => new(operation);

    private static IpvsPlanStep Step(IpvsOperation operation, List<string> changes) => new(operation, changes);

    /// <summary>A step in words: "+ target (spec)", "~ target: changes", "- target".</summary>
    internal static string Describe(IpvsOperation operation, IReadOnlyList<string>? changes) => operation switch
    {
        IpvsOperation.CreateService create => $"+ {operation.Target} ({DescribeSpec(create.Service)})",
        IpvsOperation.CreateDestination create => $"+ {operation.Target} ({DescribeSpec(create.Destination.Spec)})",
        IpvsOperation.UpdateService or IpvsOperation.UpdateDestination => $"~ {operation.Target}: {string.Join(", ", changes ?? [])}",
        _ => $"- {operation.Target}",
    };

    private static List<string> ServiceChanges(VirtualServiceSpec desired, VirtualServiceSpec actual, AddressFamily family)
    {
        var changes = new List<string>();
        if (!string.Equals(desired.Scheduler, actual.Scheduler, StringComparison.Ordinal))
            changes.Add($"scheduler {actual.Scheduler} -> {desired.Scheduler}");
        var desiredFlags = KernelReadback.SpecFlags(desired.Flags);
        var actualFlags = KernelReadback.SpecFlags(actual.Flags);
        if (desiredFlags != actualFlags)
            changes.Add($"flags {FlagWords(actualFlags, actual.Scheduler)} -> {FlagWords(desiredFlags, desired.Scheduler)}");
        if (desired.PersistenceTimeout != actual.PersistenceTimeout)
            changes.Add($"persistence {actual.PersistenceTimeout} -> {desired.PersistenceTimeout}");
        var desiredPrefix = KernelReadback.PrefixLength(desired, family);
        var actualPrefix = KernelReadback.PrefixLength(actual, family);
        if (desiredPrefix != actualPrefix)
            changes.Add($"netmask {Netmask.Format(actualPrefix, family)} -> {Netmask.Format(desiredPrefix, family)}");
        var desiredEngine = KernelReadback.PersistenceEngine(desired);
        var actualEngine = KernelReadback.PersistenceEngine(actual);
        if (!string.Equals(desiredEngine, actualEngine, StringComparison.Ordinal))
            changes.Add($"pe {actualEngine ?? "none"} -> {desiredEngine ?? "none"}");
        return changes;
    }

    private static List<string> DestinationChanges(DestinationSpec desired, DestinationSpec actual)
    {
        var changes = new List<string>();
        if (!KernelReadback.ForwardMatches(desired.Forward, actual.Forward))
            changes.Add($"forward {IpvsNames.Forward(actual.Forward)} -> {IpvsNames.Forward(desired.Forward)}");
        if (desired.Weight != actual.Weight)
            changes.Add($"weight {actual.Weight} -> {desired.Weight}");
        if (desired.UpperThreshold != actual.UpperThreshold)
            changes.Add($"upperThreshold {actual.UpperThreshold} -> {desired.UpperThreshold}");
        if (desired.LowerThreshold != actual.LowerThreshold)
            changes.Add($"lowerThreshold {actual.LowerThreshold} -> {desired.LowerThreshold}");
        // Tunnel settings mean something only to tunnel destinations, and the port only to GUE.
        if (desired.Forward == ForwardMethod.Tunnel && actual.Forward == ForwardMethod.Tunnel)
        {
            if (desired.TunnelType != actual.TunnelType)
                changes.Add($"tunnel {IpvsNames.Tunnel(actual.TunnelType)} -> {IpvsNames.Tunnel(desired.TunnelType)}");
            if (desired.TunnelType == TunnelType.Gue && desired.TunnelPort != actual.TunnelPort)
                changes.Add($"tunnelPort {actual.TunnelPort} -> {desired.TunnelPort}");
            if (desired.TunnelFlags != actual.TunnelFlags)
                changes.Add($"tunnelFlags {IpvsNames.Words(IpvsNames.TunnelFlagWords(actual.TunnelFlags))} -> {IpvsNames.Words(IpvsNames.TunnelFlagWords(desired.TunnelFlags))}");
        }
        return changes;
    }

    private static string FlagWords(ServiceFlags flags, string scheduler) =>
        IpvsNames.Words(IpvsNames.Flags(flags, scheduler));

    private static string DescribeSpec(VirtualService service)
    {
        var spec = service.Spec;
        var parts = new List<string> { spec.Scheduler };
        var flags = IpvsNames.Flags(spec.Flags, spec.Scheduler);
        if (flags.Count > 0) parts.Add($"flags {string.Join(",", flags)}");
        if (spec.PersistenceTimeout > 0) parts.Add($"persistence {spec.PersistenceTimeout}");
        var prefix = KernelReadback.PrefixLength(spec, service.Key.Family);
        if (prefix != IpvsNames.HostPrefixLength(service.Key.Family)) parts.Add($"netmask {Netmask.Format(prefix, service.Key.Family)}");
        if (KernelReadback.PersistenceEngine(spec) is { } engine) parts.Add($"pe {engine}");
        return string.Join(", ", parts);
    }

    private static string DescribeSpec(DestinationSpec spec)
    {
        var forward = IpvsNames.Forward(spec.Forward);
        if (spec.Forward == ForwardMethod.Tunnel)
        {
            forward += $" {IpvsNames.Tunnel(spec.TunnelType)}";
            if (spec.TunnelType == TunnelType.Gue) forward += $" port {spec.TunnelPort.ToString(CultureInfo.InvariantCulture)}";
            if (spec.TunnelFlags != TunnelFlags.NoChecksum) forward += $" {string.Join(",", IpvsNames.TunnelFlagWords(spec.TunnelFlags))}";
        }
        var parts = new List<string> { forward, $"weight {spec.Weight}" };
        if (spec.UpperThreshold != 0) parts.Add($"upperThreshold {spec.UpperThreshold}");
        if (spec.LowerThreshold != 0) parts.Add($"lowerThreshold {spec.LowerThreshold}");
        return string.Join(", ", parts);
    }
}
