using System.Text.Json;
using GorbLink.Core.Planning;
using GorbLink.Ipvs;

namespace GorbLink.Core.StateFiles;

/// <summary>
/// Writes a kernel table in the state-file schema (<c>gorblink ipvs list --json</c>). The output read back with
/// <see cref="StateFileReader"/> and applied changes nothing: kernel-owned details (HASHED, Local forwarding) are
/// written as what was asked for, and defaults that do not matter (host netmask, tunnel settings of non-tunnel
/// destinations) are left out. Services and destinations are in ipvsadm's order.
/// </summary>
public static class StateFileWriter
{
    /// <param name="tables">The kernel table, as <see cref="IIpvsClient.GetTableAsync"/> returns it.</param>
    /// <param name="includeStats">Add a "stats" object to every service and destination; the reader ignores it.</param>
    /// <returns>Indented JSON ending in a newline.</returns>
    public static string Write(IReadOnlyList<VirtualServiceTable> tables, bool includeStats = false)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var document = new StateFileDocument
        {
            Services = [.. tables.OrderBy(table => table.Key, KeyOrder.Listing).Select(table => Service(table, includeStats))],
        };
        return JsonSerializer.Serialize(document, StateFileJsonContext.Default.StateFileDocument) + "\n";
    }

    private static StateFileService? Service(VirtualServiceTable table, bool includeStats)
    {
        var key = table.Key;
        var spec = table.Service.Service.Spec;
        var flags = IpvsNames.Flags(KernelReadback.SpecFlags(spec.Flags), spec.Scheduler);
        var prefixLength = KernelReadback.PrefixLength(spec, key.Family);
        return new StateFileService
        {
            Protocol = key.IsFirewallMark ? null : IpvsNames.Protocol(key.Protocol),
            Address = key.Address?.ToString(),
            Port = key.IsFirewallMark ? null : key.Port,
            Fwmark = key.IsFirewallMark ? key.FirewallMark : null,
            Family = key.IsFirewallMark ? IpvsNames.Family(key.Family) : null,
            Scheduler = spec.Scheduler,
            Flags = flags.Count > 0 ? [.. flags] : null,
            Persistence = spec.PersistenceTimeout > 0 ? spec.PersistenceTimeout : null,
            Netmask = prefixLength != IpvsNames.HostPrefixLength(key.Family) ? Netmask.Format(prefixLength, key.Family) : null,
            Pe = KernelReadback.PersistenceEngine(spec),
            Stats = includeStats ? Stats(table.Service.Stats) : null,
            Destinations = [.. table.Destinations.OrderBy(destination => destination.Key, KeyOrder.Listing).Select(destination => Destination(destination, includeStats))],
        };
    }

    private static StateFileDestination? Destination(DestinationStatus status, bool includeStats)
    {
        var spec = status.Destination.Spec;
        var forward = KernelReadback.RequestedForward(spec.Forward);
        var tunnel = forward == ForwardMethod.Tunnel;
        var tunnelFlags = IpvsNames.TunnelFlagWords(spec.TunnelFlags);
        var stats = includeStats ? Stats(status.Stats) : null;
        if (stats is not null)
        {
            stats.ActiveConnections = status.ActiveConnections;
            stats.InactiveConnections = status.InactiveConnections;
        }
        return new StateFileDestination
        {
            Address = status.Key.Address.ToString(),
            Port = status.Key.Port,
            Forward = IpvsNames.Forward(forward),
            Weight = spec.Weight,
            UpperThreshold = spec.UpperThreshold,
            LowerThreshold = spec.LowerThreshold,
            Tunnel = tunnel ? IpvsNames.Tunnel(spec.TunnelType) : null,
            TunnelPort = tunnel && spec.TunnelType == TunnelType.Gue ? spec.TunnelPort : null,
            TunnelFlags = tunnel && tunnelFlags.Count > 0 ? [.. tunnelFlags] : null,
            Stats = stats,
        };
    }

    private static StateFileStats Stats(IpvsStats stats) => new()
    {
        Connections = stats.Connections,
        InPackets = stats.InPackets,
        OutPackets = stats.OutPackets,
        InBytes = stats.InBytes,
        OutBytes = stats.OutBytes,
    };
}
