using System.Net;
using System.Net.Sockets;
using GorbLink.Ipvs.Netlink;
using GorbLink.Netlink;

namespace GorbLink.Ipvs.Tests.Netlink;

/// <summary>Golden bytes for the IPVS codec (x86-64, little-endian host order).</summary>
public class IpvsCodecTests
{
    private const ushort Family = 0x23;

    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    [Fact]
    public void NewServiceMatchesTheWorkedLayoutWithA16ByteAddress()
    {
        var bytes = IpvsCodec.NewService(Family, new VirtualService(Web, new VirtualServiceSpec { Scheduler = "wlc" }));
        byte[] expected =
        [
            104, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 104, REQUEST; seq/pid set when sent
            1, 1, 0, 0,                                             // NEW_SERVICE, version 1
            84, 0, 1, 0,                                            // CMD_ATTR_SERVICE
            6, 0, 1, 0, 2, 0, 0, 0,                                 // AF_INET
            6, 0, 2, 0, 6, 0, 0, 0,                                 // IPPROTO_TCP
            20, 0, 3, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ADDR, 16 bytes
            6, 0, 4, 0, 0, 80, 0, 0,                                // PORT 80, network order
            8, 0, 6, 0, (byte)'w', (byte)'l', (byte)'c', 0,         // SCHED_NAME
            12, 0, 7, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,        // FLAGS {flags 0, mask ~0}
            8, 0, 8, 0, 0, 0, 0, 0,                                 // TIMEOUT 0
            8, 0, 9, 0, 0xff, 0xff, 0xff, 0xff,                     // NETMASK /32 as mask bytes
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void PersistenceSetsThePersistentFlagAndTimeoutAndIPv4MaskIsInNetworkOrder()
    {
        var spec = new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched2 | ServiceFlags.Hashed, PersistenceTimeout = 300, NetmaskPrefixLength = 24 };
        var bytes = IpvsCodec.NewService(Family, new VirtualService(Web, spec));
        var service = Nest(bytes, 20);
        Assert.Equal(new byte[] { 0x11, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, Attribute(service, 7)); // PERSISTENT|SCHED2, not HASHED
        Assert.Equal(new byte[] { 0x2c, 0x01, 0, 0 }, Attribute(service, 8));                       // 300
        Assert.Equal(new byte[] { 0xff, 0xff, 0xff, 0x00 }, Attribute(service, 9));                 // 255.255.255.0
    }

    [Fact]
    public void IPv6NetmaskIsAHostOrderPrefixLength()
    {
        var key = VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("fd00::1"), 53);
        var bytes = IpvsCodec.NewService(Family, new VirtualService(key, new VirtualServiceSpec { NetmaskPrefixLength = 64 }));
        var service = Nest(bytes, 20);
        Assert.Equal(new byte[] { 10, 0 }, Attribute(service, 1));
        Assert.Equal(new byte[] { 64, 0, 0, 0 }, Attribute(service, 9));
        Assert.Equal(IPAddress.Parse("fd00::1").GetAddressBytes(), Attribute(service, 3));
    }

    [Fact]
    public void FirewallMarkServiceHasNoProtocolAddressOrPort()
    {
        var key = VirtualServiceKey.ForFirewallMark(AddressFamily.InterNetwork, 7);
        var service = Nest(IpvsCodec.DelService(Family, key), 20);
        Assert.Equal(new byte[]
        {
            6, 0, 1, 0, 2, 0, 0, 0,
            8, 0, 5, 0, 7, 0, 0, 0,
        }, service.ToArray());
    }

    [Fact]
    public void NewDestCarriesServiceIdentityThenFullDestWithFamily()
    {
        var destination = new Destination(new DestinationKey(IPAddress.Parse("10.1.0.1"), 8080), new DestinationSpec { Weight = 5, UpperThreshold = 100, LowerThreshold = 10 });
        var bytes = IpvsCodec.NewDest(Family, Web, destination);
        Assert.Equal(5, bytes[16]); // NEW_DEST
        var serviceLength = BitConverter.ToUInt16(bytes, 20);
        var dest = Nest(bytes, 20 + serviceLength);
        Assert.Equal(new byte[]
        {
            6, 0, 11, 0, 2, 0, 0, 0,                                  // ADDR_FAMILY inet
            20, 0, 1, 0, 10, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ADDR
            6, 0, 2, 0, 0x1f, 0x90, 0, 0,                             // PORT 8080
            8, 0, 3, 0, 0, 0, 0, 0,                                   // FWD masq
            8, 0, 4, 0, 5, 0, 0, 0,                                   // WEIGHT
            8, 0, 5, 0, 100, 0, 0, 0,                                 // U_THRESH
            8, 0, 6, 0, 10, 0, 0, 0,                                  // L_THRESH
        }, dest.ToArray());
    }

    [Fact]
    public void TunnelDestinationAddsTunnelAttributesAndMayBeIPv6OnAnIPv4Service()
    {
        var destination = new Destination(new DestinationKey(IPAddress.Parse("fd00::9"), 80),
            new DestinationSpec { Forward = ForwardMethod.Tunnel, TunnelType = TunnelType.Gue, TunnelPort = 6080, TunnelFlags = TunnelFlags.Checksum });
        var bytes = IpvsCodec.SetDest(Family, Web, destination);
        var dest = Nest(bytes, 20 + BitConverter.ToUInt16(bytes, 20));
        Assert.Equal(new byte[] { 10, 0 }, Attribute(dest, 11));
        Assert.Equal(new byte[] { 2, 0, 0, 0 }, Attribute(dest, 3));
        Assert.Equal(new byte[] { 1 }, Attribute(dest, 13));
        Assert.Equal(new byte[] { 0x17, 0xc0 }, Attribute(dest, 14));
        Assert.Equal(new byte[] { 1, 0 }, Attribute(dest, 15));
    }

    [Fact]
    public void DestinationDumpIsAFlaggedDumpWithTheServiceAtTopLevel()
    {
        var bytes = IpvsCodec.DumpDests(Family, Web);
        Assert.Equal(0x0301, BitConverter.ToUInt16(bytes, 6)); // REQUEST | DUMP
        Assert.Equal(8, bytes[16]);
        Assert.Equal(1, BitConverter.ToUInt16(bytes, 22)); // CMD_ATTR_SERVICE
    }

    [Fact]
    public void ParsesAKernelServiceReplyWithHashedFlagStats64PaddingAndUnknownAttributes()
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        writer.WriteGenericHeader(1, 1);
        var nest = writer.BeginNest(1);
        writer.WriteU16(1, 2);
        writer.WriteU16(2, 17);
        writer.WriteBytes(3, [192, 168, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        writer.WriteBigEndianU16(4, 53);
        writer.WriteString(6, "rr");
        writer.WriteBytes(7, [0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]); // PERSISTENT | HASHED
        writer.WriteU32(8, 60);
        writer.WriteBytes(9, [0xff, 0xff, 0xff, 0xff]);
        var stats = writer.BeginNest(10);
        writer.WriteU32(1, 1);
        writer.EndNest(stats);
        var stats64 = writer.BeginNest(12);
        writer.WriteFlag(11); // STATS_ATTR_PAD
        writer.WriteU64(1, 5_000_000_000);
        writer.WriteU64(4, 123);
        writer.EndNest(stats64);
        writer.WriteU32(42, 1); // an attribute from the future
        writer.EndNest(nest);

        var status = IpvsCodec.ParseServiceMessage(buffer.WrittenSpan);

        Assert.Equal(VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("192.168.1.1"), 53), status.Key);
        Assert.Equal(new VirtualServiceSpec { Scheduler = "rr", PersistenceTimeout = 60 }, status.Service.Spec);
        Assert.Equal(5_000_000_000ul, status.Stats.Connections);
        Assert.Equal(123ul, status.Stats.InBytes);
    }

    [Fact]
    public void DestinationWithoutAddressFamilyTakesTheServiceFamilyAsOnKernelsBefore318()
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        writer.WriteGenericHeader(5, 1);
        var nest = writer.BeginNest(2);
        writer.WriteBytes(1, [10, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        writer.WriteBigEndianU16(2, 8080);
        writer.WriteU32(3, 3);
        writer.WriteU32(4, 2);
        writer.WriteU32(7, 4);
        writer.WriteU32(8, 9);
        var stats = writer.BeginNest(10);
        writer.WriteU32(1, 77);
        writer.WriteU64(5, 1000);
        writer.EndNest(stats);
        writer.EndNest(nest);

        var status = IpvsCodec.ParseDestinationMessage(buffer.WrittenSpan, AddressFamily.InterNetwork);

        Assert.Equal(new DestinationKey(IPAddress.Parse("10.1.0.7"), 8080), status.Key);
        Assert.Equal(ForwardMethod.DirectRoute, status.Destination.Spec.Forward);
        Assert.Equal(2, status.Destination.Spec.Weight);
        Assert.Equal((4u, 9u), (status.ActiveConnections, status.InactiveConnections));
        Assert.Equal(77ul, status.Stats.Connections);
        Assert.Equal(1000ul, status.Stats.OutBytes);
    }

    [Fact]
    public void SetConfigOmitsZeroTimeoutsSoTheyStayUnchanged()
    {
        var bytes = IpvsCodec.SetConfig(Family, new IpvsTimeouts(900, 0, 300));
        Assert.Equal(new byte[] { 8, 0, 4, 0, 0x84, 0x03, 0, 0, 8, 0, 6, 0, 0x2c, 0x01, 0, 0 }, bytes[20..]);
    }

    [Fact]
    public void NewDaemonNestsStateInterfaceAndSyncId()
    {
        var bytes = IpvsCodec.NewDaemon(Family, new SyncDaemon { State = SyncDaemonState.Master, Interface = "eth0", SyncId = 3 });
        var daemon = Nest(bytes, 20);
        Assert.Equal(new byte[] { 1, 0, 0, 0 }, Attribute(daemon, 1));
        Assert.Equal("eth0\0"u8.ToArray(), Attribute(daemon, 2));
        Assert.Equal(new byte[] { 3, 0, 0, 0 }, Attribute(daemon, 3));
    }

    private static ReadOnlySpan<byte> Nest(byte[] message, int offset)
    {
        var length = BitConverter.ToUInt16(message, offset);
        return message.AsSpan(offset + 4, length - 4);
    }

    private static byte[] Attribute(ReadOnlySpan<byte> attributes, ushort wanted)
    {
        var reader = new NetlinkAttributeReader(attributes);
        while (reader.TryRead(out var type, out var payload))
        {
            if (type == wanted) return payload.ToArray();
        }
        throw new Xunit.Sdk.XunitException($"attribute {wanted} not present");
    }
}
