using System.Net;
using System.Net.Sockets;

namespace GorbLink.Ipvs;

/// <summary>
/// Identity of a virtual service: family plus protocol/address/port, or family plus firewall mark.
/// Two services with equal keys are the same kernel object.
/// </summary>
public readonly record struct VirtualServiceKey
{
    private VirtualServiceKey(AddressFamily family, IpvsProtocol protocol, IPAddress? address, ushort port, uint firewallMark)
    {
        Family = family;
        Protocol = protocol;
        Address = address;
        Port = port;
        FirewallMark = firewallMark;
    }

    public AddressFamily Family { get; }
    /// <summary>Protocol; for fwmark services the kernel forces TCP internally and this is <see cref="IpvsProtocol.Tcp"/>.</summary>
    public IpvsProtocol Protocol { get; }
    /// <summary>Virtual address; null for fwmark services.</summary>
    public IPAddress? Address { get; }
    public ushort Port { get; }
    /// <summary>Non-zero for fwmark services.</summary>
    public uint FirewallMark { get; }
    public bool IsFirewallMark => FirewallMark != 0;

    public static VirtualServiceKey For(IpvsProtocol protocol, IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"address {address} is neither IPv4 nor IPv6", nameof(address));
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return new VirtualServiceKey(address.AddressFamily, protocol, address, port, 0);
    }

    public static VirtualServiceKey ForFirewallMark(AddressFamily family, uint mark)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"family {family} is neither inet nor inet6", nameof(family));
        if (mark == 0) throw new ArgumentOutOfRangeException(nameof(mark), "a firewall mark must not be 0");
        return new VirtualServiceKey(family, IpvsProtocol.Tcp, null, 0, mark);
    }

    public override string ToString() => IsFirewallMark
        ? $"fwmark {FirewallMark} ({IpvsNames.Family(Family)})"
        : $"{IpvsNames.Protocol(Protocol)} {IpvsNames.Endpoint(Address!, Port)}";
}
