using System.Globalization;
using System.Net.Sockets;
using System.Text;
using GorbLink.Core.Planning;
using GorbLink.Core.StateFiles;
using GorbLink.Ipvs;

namespace GorbLink.Core.Rendering;

/// <summary>The kernel table as text in the layout of <c>ipvsadm -Ln</c> and <c>ipvsadm -Ln --stats</c>, in ipvsadm's order.</summary>
public static class IpvsTableText
{
    /// <summary>Like <c>ipvsadm -Ln</c>; the version line is printed when <paramref name="info"/> is given.</summary>
    public static string Render(IReadOnlyList<VirtualServiceTable> tables, IpvsInfo? info = null)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var text = new StringBuilder();
        Header(text, info);
        Line(text, "Prot LocalAddress:Port Scheduler Flags");
        Line(text, "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn");
        foreach (var table in Sorted(tables))
        {
            Line(text, $"{ServiceName(table.Key)} {ServiceDetails(table.Service.Service)}");
            foreach (var destination in Sorted(table.Destinations))
            {
                var spec = destination.Destination.Spec;
                Line(text, string.Create(CultureInfo.InvariantCulture,
                    $"  -> {DestinationName(destination.Key),-28} {ForwardWord(spec.Forward),-7} {spec.Weight,-6} {destination.ActiveConnections,-10} {destination.InactiveConnections,-10}"));
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Like <c>ipvsadm -Ln --stats</c>. Counters are abbreviated as ipvsadm does (K, M, G, T above 100 million)
    /// unless <paramref name="exact"/>, which is <c>--exact</c>.
    /// </summary>
    public static string RenderStats(IReadOnlyList<VirtualServiceTable> tables, IpvsInfo? info = null, bool exact = false)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var text = new StringBuilder();
        Header(text, info);
        Line(text, "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes");
        Line(text, "  -> RemoteAddress:Port");
        foreach (var table in Sorted(tables))
        {
            Line(text, $"{ServiceName(table.Key),-33}{Counters(table.Service.Stats, exact)}");
            foreach (var destination in Sorted(table.Destinations))
                Line(text, $"  -> {DestinationName(destination.Key),-28}{Counters(destination.Stats, exact)}");
        }
        return text.ToString();
    }

    private static void Header(StringBuilder text, IpvsInfo? info)
    {
        if (info is not null)
            Line(text, string.Create(CultureInfo.InvariantCulture, $"IP Virtual Server version {info.Version} (size={info.ConnectionTableSize})"));
    }

    // ipvsadm pads columns with printf and leaves trailing blanks; these lines are trimmed.
    private static void Line(StringBuilder text, string line) => text.Append(line.TrimEnd()).Append('\n');

    private static IEnumerable<VirtualServiceTable> Sorted(IReadOnlyList<VirtualServiceTable> tables) =>
        tables.OrderBy(table => table.Key, KeyOrder.Listing);

    private static IEnumerable<DestinationStatus> Sorted(IReadOnlyList<DestinationStatus> destinations) =>
        destinations.OrderBy(destination => destination.Key, KeyOrder.Listing);

    private static string ServiceName(VirtualServiceKey key)
    {
        if (key.IsFirewallMark)
            return key.Family == AddressFamily.InterNetworkV6 ? $"FWM  {key.FirewallMark} IPv6" : $"FWM  {key.FirewallMark}";
        var protocol = IpvsNames.Protocol(key.Protocol).ToUpperInvariant();
        return $"{protocol}  {IpvsNames.Endpoint(key.Address!, key.Port)}";
    }

    private static string DestinationName(DestinationKey key) => IpvsNames.Endpoint(key.Address, key.Port);

    /// <summary>Scheduler, scheduler flags, persistence and one-packet, as ipvsadm's print_service_entry writes them.</summary>
    private static string ServiceDetails(VirtualService service)
    {
        var spec = service.Spec;
        var text = new StringBuilder(spec.Scheduler);
        var schedulerFlags = IpvsNames.SchedulerFlags(spec.Flags, spec.Scheduler);
        if (schedulerFlags.Count > 0) text.Append(" (").Append(string.Join(",", schedulerFlags)).Append(')');
        if (spec.PersistenceTimeout > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" persistent {spec.PersistenceTimeout}");
            var family = service.Key.Family;
            var prefixLength = KernelReadback.PrefixLength(spec, family);
            if (prefixLength != IpvsNames.HostPrefixLength(family))
            {
                var mask = family == AddressFamily.InterNetworkV6
                    ? prefixLength.ToString(CultureInfo.InvariantCulture)
                    : Netmask.Format(prefixLength, family);
                text.Append(" mask ").Append(mask);
            }
            if (KernelReadback.PersistenceEngine(spec) is { } engine) text.Append(" pe ").Append(engine);
        }
        if (spec.Flags.HasFlag(ServiceFlags.OnePacket)) text.Append(" ops");
        return text.ToString();
    }

    private static string ForwardWord(ForwardMethod method) => method switch
    {
        ForwardMethod.Nat => "Masq",
        ForwardMethod.Local => "Local",
        ForwardMethod.Tunnel => "Tunnel",
        ForwardMethod.DirectRoute => "Route",
        ForwardMethod.Bypass => "Bypass",
        _ => "Unknown",
    };

    private static string Counters(IpvsStats stats, bool exact) =>
        LargeNumber(stats.Connections, exact) + LargeNumber(stats.InPackets, exact) + LargeNumber(stats.OutPackets, exact)
        + LargeNumber(stats.InBytes, exact) + LargeNumber(stats.OutBytes, exact);

    /// <summary>ipvsadm's print_largenum: a 9-wide column, abbreviated unless exact.</summary>
    private static string LargeNumber(ulong value, bool exact)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (exact) return text.PadLeft(text.Length <= 8 ? 9 : text.Length + 1);
        var (scaled, unit) = value switch
        {
            < 100_000_000UL => (value, ""),
            < 1_000_000_000UL => (value / 1_000UL, "K"),
            < 100_000_000_000UL => (value / 1_000_000UL, "M"),
            < 100_000_000_000_000UL => (value / 1_000_000_000UL, "G"),
            _ => (value / 1_000_000_000_000UL, "T"),
        };
        return unit.Length == 0
            ? text.PadLeft(9)
            : scaled.ToString(CultureInfo.InvariantCulture).PadLeft(8) + unit;
    }
}
