using System.Net;
using System.Net.Sockets;

namespace GorbLink.Ipvs;

/// <summary>
/// The orders of services and destinations, in one place. Destinations have one order: IPv4 before IPv6, address
/// bytes, port. Services have two, each kept because users read it:
/// <list type="bullet">
/// <item><see cref="Instance"/>, the numeric order of logs, diffs and desired state: IPv4 before IPv6, address
/// services before firewall-mark services of the same family, then address bytes, port, protocol.</item>
/// <item><see cref="Listing"/>, ipvsadm's listing order (ipvs_cmp_services), which `ipvs list` and state files
/// follow so that they read like `ipvsadm -Ln` and `ipvsadm-save`: firewall mark (address services, mark 0, first),
/// family, protocol number, address bytes, port.</item>
/// </list>
/// Allocation-free.
/// </summary>
public sealed class KeyOrder : IComparer<VirtualServiceKey>, IComparer<DestinationKey>
{
    private readonly bool _listing;

    private KeyOrder(bool listing) => _listing = listing;

    /// <summary>The numeric order of logs, diffs and desired state.</summary>
    public static KeyOrder Instance { get; } = new(listing: false);

    /// <summary>ipvsadm's listing order, for `ipvs list` and state files.</summary>
    public static KeyOrder Listing { get; } = new(listing: true);

    public int Compare(VirtualServiceKey x, VirtualServiceKey y) => _listing ? CompareListing(x, y) : CompareNumeric(x, y);

    public int Compare(DestinationKey x, DestinationKey y)
    {
        var c = CompareAddresses(x.Address, y.Address);
        return c != 0 ? c : x.Port.CompareTo(y.Port);
    }

    private static int CompareNumeric(VirtualServiceKey x, VirtualServiceKey y)
    {
        var c = FamilyRank(x.Family).CompareTo(FamilyRank(y.Family));
        if (c != 0) return c;
        c = x.IsFirewallMark.CompareTo(y.IsFirewallMark);
        if (c != 0) return c;
        if (x.IsFirewallMark) return x.FirewallMark.CompareTo(y.FirewallMark);
        c = CompareAddresses(x.Address!, y.Address!);
        if (c != 0) return c;
        c = x.Port.CompareTo(y.Port);
        return c != 0 ? c : ((ushort)x.Protocol).CompareTo((ushort)y.Protocol);
    }

    private static int CompareListing(VirtualServiceKey x, VirtualServiceKey y)
    {
        var c = x.FirewallMark.CompareTo(y.FirewallMark);
        if (c == 0) c = FamilyRank(x.Family).CompareTo(FamilyRank(y.Family));
        if (c == 0) c = ((ushort)x.Protocol).CompareTo((ushort)y.Protocol);
        if (c == 0 && x.Address is not null && y.Address is not null) c = CompareAddresses(x.Address, y.Address);
        return c != 0 ? c : x.Port.CompareTo(y.Port);
    }

    /// <summary>IPv4 before IPv6, then by address bytes, then (IPv6) by scope.</summary>
    public static int CompareAddresses(IPAddress x, IPAddress y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (ReferenceEquals(x, y)) return 0;
        var c = FamilyRank(x.AddressFamily).CompareTo(FamilyRank(y.AddressFamily));
        if (c != 0) return c;
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        if (!x.TryWriteBytes(a, out var na) || !y.TryWriteBytes(b, out var nb))
            throw new InvalidOperationException("an IP address did not fit 16 bytes");
        c = a[..na].SequenceCompareTo(b[..nb]);
        if (c != 0 || x.AddressFamily != AddressFamily.InterNetworkV6) return c;
        return x.ScopeId.CompareTo(y.ScopeId); // IPAddress.ScopeId throws for IPv4
    }

    /// <summary>AF_INET (2) sorts before AF_INET6 (10), as ipvsadm's numeric comparison of families does.</summary>
    private static int FamilyRank(AddressFamily family) => family == AddressFamily.InterNetwork ? 0 : 1;
}
