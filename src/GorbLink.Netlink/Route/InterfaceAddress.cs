using System.Net;
using System.Net.Sockets;

namespace GorbLink.Netlink.Route;

/// <summary>An address on a network interface, as `ip addr` shows it: index, address, prefix length, scope, flags.</summary>
public sealed record InterfaceAddress
{
    /// <summary>An IPv4-mapped IPv6 address given here (as .NET's dual-mode parsing makes them) is taken as IPv4.</summary>
    public InterfaceAddress(int interfaceIndex, IPAddress address, int prefixLength) : this(interfaceIndex, address, prefixLength, mapToIPv4: true)
    {
    }

    /// <param name="mapToIPv4">
    /// False for what the kernel reports: an AF_INET6 address such as ::ffff:1.2.3.4/64 on an interface is an IPv6
    /// address with an IPv6 prefix length, not the IPv4 address 1.2.3.4.
    /// </param>
    internal InterfaceAddress(int interfaceIndex, IPAddress address, int prefixLength, bool mapToIPv4)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (mapToIPv4 && address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"address {address} is neither IPv4 nor IPv6", nameof(address));
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, max);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interfaceIndex);
        InterfaceIndex = interfaceIndex;
        Address = address;
        PrefixLength = prefixLength;
    }

    public int InterfaceIndex { get; }
    public IPAddress Address { get; }
    public int PrefixLength { get; }
    /// <summary>RT_SCOPE_*: 0 global, 253 link, 254 host.</summary>
    public byte Scope { get; init; } = RouteConstants.ScopeUniverse;
    public InterfaceAddressFlags Flags { get; init; }
    /// <summary>IFA_LABEL (IPv4 only): the interface name, or an alias such as eth0:1.</summary>
    public string? Label { get; init; }

    public AddressFamily Family => Address.AddressFamily;

    /// <summary>A host address: /32 for IPv4, /128 for IPv6.</summary>
    public static InterfaceAddress Host(int interfaceIndex, IPAddress address) =>
        new(interfaceIndex, address, address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6 ? 128 : 32);

    public override string ToString() => $"{Address}/{PrefixLength}";
}
