using System.Net;
using System.Net.Sockets;
using GorbLink.Ipvs;

namespace GorbLink.Core.Desired;

/// <summary>
/// The one order of services and destinations GorbLink uses for output, logs and diffs: IPv4 before IPv6, addresses
/// by their bytes, then port, then protocol; firewall-mark services after address services. Allocation-free.
/// </summary>
public sealed class KeyOrder : IComparer<VirtualServiceKey>, IComparer<DestinationKey>
{
    public static KeyOrder Instance { get; } = new();

    private KeyOrder() { }

    public int Compare(VirtualServiceKey x, VirtualServiceKey y)
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

    public int Compare(DestinationKey x, DestinationKey y)
    {
        var c = CompareAddresses(x.Address, y.Address);
        return c != 0 ? c : x.Port.CompareTo(y.Port);
    }

    /// <summary>IPv4 before IPv6, then by address bytes.</summary>
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

    private static int FamilyRank(AddressFamily family) => family == AddressFamily.InterNetwork ? 0 : 1;
}
