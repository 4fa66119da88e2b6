using System.Net;
using GorbLink.Netlink;
using GorbLink.Netlink.Route;

namespace GorbLink.Netlink.Tests.Route;

/// <summary>rtnetlink address messages byte for byte, as `ip addr add/del/show` (iproute2) sends them.</summary>
public class AddressMessagesTests
{
    [Fact]
    public void AddIpv4HostAddressIsNewaddrCreateExclusiveWithLocalAndAddress()
    {
        var bytes = AddressMessages.BuildAdd(InterfaceAddress.Host(3, IPAddress.Parse("10.0.0.5")));
        Assert.Equal(new byte[]
        {
            40, 0, 0, 0, 20, 0, 0x01, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: RTM_NEWADDR, REQUEST|EXCL|CREATE
            2, 32, 0, 0, 3, 0, 0, 0,                                // ifaddrmsg: AF_INET /32 flags 0 scope global, index 3
            8, 0, 2, 0, 10, 0, 0, 5,                                // IFA_LOCAL 10.0.0.5
            8, 0, 1, 0, 10, 0, 0, 5,                                // IFA_ADDRESS 10.0.0.5
        }, bytes);
    }

    [Fact]
    public void AddIpv6HostAddressSkipsDuplicateAddressDetection()
    {
        var bytes = AddressMessages.BuildAdd(InterfaceAddress.Host(7, IPAddress.Parse("2001:db8::5")));
        byte[] address = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
        Assert.Equal(
        [
            64, 0, 0, 0, 20, 0, 0x01, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr
            10, 128, 0x02, 0, 7, 0, 0, 0,                           // AF_INET6 /128, IFA_F_NODAD, index 7
            20, 0, 2, 0, .. address,                                // IFA_LOCAL
            20, 0, 1, 0, .. address,                                // IFA_ADDRESS
        ], bytes);
    }

    [Fact]
    public void FlagsAboveEightBitsGoInIfaFlags()
    {
        var bytes = AddressMessages.BuildAdd(new InterfaceAddress(3, IPAddress.Parse("10.0.0.5"), 24) { Flags = InterfaceAddressFlags.NoPrefixRoute });
        Assert.Equal(48, bytes.Length);
        Assert.Equal(new byte[] { 2, 24, 0, 0 }, bytes[16..20]);
        Assert.Equal(new byte[] { 8, 0, 8, 0, 0x00, 0x02, 0, 0 }, bytes[40..48]); // IFA_FLAGS 0x200
    }

    [Fact]
    public void DeleteIsDeladdrWithoutCreateFlags()
    {
        var bytes = AddressMessages.BuildDelete(InterfaceAddress.Host(3, IPAddress.Parse("192.168.1.1")));
        Assert.Equal(new byte[]
        {
            40, 0, 0, 0, 21, 0, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, // RTM_DELADDR, REQUEST
            2, 32, 0, 0, 3, 0, 0, 0,
            8, 0, 2, 0, 192, 168, 1, 1,
            8, 0, 1, 0, 192, 168, 1, 1,
        }, bytes);
    }

    [Fact]
    public void DumpIsGetaddrWithDumpFlagAndAnEmptyIfaddrmsg()
    {
        Assert.Equal(new byte[]
        {
            24, 0, 0, 0, 22, 0, 0x01, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, // RTM_GETADDR, REQUEST|ROOT|MATCH
            0, 0, 0, 0, 0, 0, 0, 0,                                 // AF_UNSPEC: every family
        }, AddressMessages.BuildDump());
        Assert.Equal(10, AddressMessages.BuildDump(RouteConstants.AF_INET6)[16]);
    }

    [Fact]
    public void ParsesAnIpv4ReplyPreferringLocalOverPeer()
    {
        // What the kernel sends for `ip addr add 10.1.0.1 peer 10.1.0.2/32 dev eth0 label eth0:vip`.
        byte[] payload =
        [
            2, 32, 0x80, 0, 2, 0, 0, 0,                        // AF_INET /32, IFA_F_PERMANENT, scope global, index 2
            8, 0, 1, 0, 10, 1, 0, 2,                           // IFA_ADDRESS (peer)
            8, 0, 2, 0, 10, 1, 0, 1,                           // IFA_LOCAL
            12, 0, 3, 0, (byte)'e', (byte)'t', (byte)'h', (byte)'0', (byte)':', (byte)'v', (byte)'i', 0, // IFA_LABEL
            8, 0, 8, 0, 0x80, 0, 0, 0,                         // IFA_FLAGS
            20, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // IFA_CACHEINFO: skipped
        ];
        var header = new NetlinkMessageHeader((uint)(16 + payload.Length), RouteConstants.RTM_NEWADDR, NetlinkMessageFlags.Multi, 1, 1);
        var address = AddressMessages.Parse(header, payload);
        Assert.NotNull(address);
        Assert.Equal(2, address.InterfaceIndex);
        Assert.Equal(IPAddress.Parse("10.1.0.1"), address.Address);
        Assert.Equal(32, address.PrefixLength);
        Assert.Equal(InterfaceAddressFlags.Permanent, address.Flags);
        Assert.Equal("eth0:vi", address.Label);
        Assert.Equal("10.1.0.1/32", address.ToString());
    }

    [Fact]
    public void ParsesAnIpv6ReplyWithAddressOnlyAndWideFlags()
    {
        byte[] payload =
        [
            10, 64, 0, 253, 5, 0, 0, 0,                        // AF_INET6 /64, scope link, index 5
            20, 0, 1, 0, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            8, 0, 8, 0, 0x80, 0x02, 0, 0,                      // IFA_FLAGS: PERMANENT | NOPREFIXROUTE
        ];
        var header = new NetlinkMessageHeader((uint)(16 + payload.Length), RouteConstants.RTM_NEWADDR, NetlinkMessageFlags.Multi, 1, 1);
        var address = AddressMessages.Parse(header, payload)!;
        Assert.Equal(IPAddress.Parse("fe80::1"), address.Address);
        Assert.Equal(64, address.PrefixLength);
        Assert.Equal(RouteConstants.ScopeLink, address.Scope);
        Assert.Equal(InterfaceAddressFlags.Permanent | InterfaceAddressFlags.NoPrefixRoute, address.Flags);
    }

    [Fact]
    public void OtherFamiliesAndTypesAreSkippedAndTruncationIsAnError()
    {
        var header = new NetlinkMessageHeader(24, RouteConstants.RTM_NEWADDR, NetlinkMessageFlags.Multi, 1, 1);
        Assert.Null(AddressMessages.Parse(header, [17, 0, 0, 0, 1, 0, 0, 0]));
        Assert.Null(AddressMessages.Parse(header with { Type = 16 }, [2, 32, 0, 0, 1, 0, 0, 0]));
        Assert.Throws<NetlinkProtocolException>(() => AddressMessages.Parse(header, [2, 32, 0]));
        Assert.Throws<NetlinkProtocolException>(() => AddressMessages.Parse(header, [2, 32, 0, 0, 1, 0, 0, 0, 6, 0, 2, 0, 10, 0, 0, 0]));
    }

    [Fact]
    public void AnIpv4MappedIpv6AddressOnAnInterfaceStaysIpv6WithItsPrefix()
    {
        // `ip -6 addr add ::ffff:1.2.3.4/64 dev eth0` is accepted by the kernel; it once crashed the parser (issue 15, finding 2).
        byte[] payload =
        [
            10, 64, 0, 0, 3, 0, 0, 0,                          // AF_INET6 /64, scope global, index 3
            20, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4,
        ];
        var header = new NetlinkMessageHeader((uint)(16 + payload.Length), RouteConstants.RTM_NEWADDR, NetlinkMessageFlags.Multi, 1, 1);
        var address = AddressMessages.Parse(header, payload)!;
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, address.Family);
        Assert.Equal(IPAddress.Parse("::ffff:1.2.3.4"), address.Address);
        Assert.Equal(64, address.PrefixLength);
        Assert.NotEqual(IPAddress.Parse("1.2.3.4"), address.Address);
    }
}
