using System.Net;
using System.Net.Sockets;

namespace GorbLink.Ipvs.Tests.Model;

/// <summary>The two service orders of <see cref="KeyOrder"/> on the same keys, and the one destination order.</summary>
public sealed class KeyOrderTests
{
    private static readonly VirtualServiceKey[] Keys =
    [
        VirtualServiceKey.ForFirewallMark(AddressFamily.InterNetworkV6, 3),
        VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.10"), 53),
        VirtualServiceKey.ForFirewallMark(AddressFamily.InterNetwork, 5),
        VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("2001:db8::1"), 80),
        VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.2"), 443),
        VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.2"), 80),
        VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.2"), 80),
    ];

    [Fact]
    public void NumericOrderIsFamilyThenAddressPortProtocolWithMarksAfterAddresses()
    {
        Assert.Equal(
            ["tcp 10.0.0.2:80", "udp 10.0.0.2:80", "tcp 10.0.0.2:443", "udp 10.0.0.10:53", "fwmark 5 (inet)",
             "tcp [2001:db8::1]:80", "fwmark 3 (inet6)"],
            Keys.Order(KeyOrder.Instance).Select(k => k.ToString()));
    }

    [Fact]
    public void ListingOrderIsIpvsadmsMarkFamilyProtocolAddressPort()
    {
        Assert.Equal(
            ["tcp 10.0.0.2:80", "tcp 10.0.0.2:443", "udp 10.0.0.2:80", "udp 10.0.0.10:53", "tcp [2001:db8::1]:80",
             "fwmark 3 (inet6)", "fwmark 5 (inet)"],
            Keys.Order(KeyOrder.Listing).Select(k => k.ToString()));
    }

    [Fact]
    public void BothOrdersSortDestinationsAlike()
    {
        DestinationKey[] destinations =
        [
            new(IPAddress.Parse("2001:db8::1"), 1),
            new(IPAddress.Parse("10.0.0.10"), 1),
            new(IPAddress.Parse("10.0.0.9"), 2),
            new(IPAddress.Parse("10.0.0.9"), 1),
        ];
        string[] expected = ["10.0.0.9:1", "10.0.0.9:2", "10.0.0.10:1", "[2001:db8::1]:1"];
        Assert.Equal(expected, destinations.Order(KeyOrder.Instance).Select(k => k.ToString()));
        Assert.Equal(expected, destinations.Order(KeyOrder.Listing).Select(k => k.ToString()));
    }
}
