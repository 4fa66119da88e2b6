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

    // ---- Golden requests for the remaining message kinds. Every byte below is written from ipvs-netlink.md: nlmsghdr
    // (len u32, type u16 = family id, flags u16, seq u32, pid u32; seq/pid are filled in when sent, ACK is added by
    // the connection), genlmsghdr (cmd, version 1, reserved 0), then nlattrs {len u16 = 4 + unpadded payload, type
    // u16} padded to 4 bytes. Integers are little-endian host order except PORT/TUN_PORT (network order); addresses
    // are 16 bytes with an IPv4 address in the first 4.

    /// <summary>SERVICE nest with identity only (AF, PROTOCOL, ADDR, PORT) for tcp 10.0.0.1:80: 4 + 8 + 8 + 20 + 8 = 48 bytes.</summary>
    private static readonly byte[] WebIdentity =
    [
        48, 0, 1, 0,                                                  // CMD_ATTR_SERVICE, len 48
        6, 0, 1, 0, 2, 0, 0, 0,                                       // SVC_ATTR_AF = AF_INET (2), u16 + 2 pad
        6, 0, 2, 0, 6, 0, 0, 0,                                       // SVC_ATTR_PROTOCOL = IPPROTO_TCP (6)
        20, 0, 3, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // SVC_ATTR_ADDR 10.0.0.1, 16 bytes
        6, 0, 4, 0, 0, 80, 0, 0,                                      // SVC_ATTR_PORT 80, big-endian
    ];

    [Fact]
    public void SetServiceCarriesTheFullServiceWithPersistenceEngineFlagsTimeoutAndMask()
    {
        var key = VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.2"), 53);
        var spec = new VirtualServiceSpec
        {
            Scheduler = "sh", Flags = ServiceFlags.Sched1 | ServiceFlags.Sched2, PersistenceTimeout = 300,
            NetmaskPrefixLength = 24, PersistenceEngine = "sip",
        };
        byte[] expected =
        [
            112, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0,       // nlmsghdr: len 16 + 4 + 92, REQUEST
            2, 1, 0, 0,                                                   // IPVS_CMD_SET_SERVICE (2), version 1
            92, 0, 1, 0,                                                  // CMD_ATTR_SERVICE: 4 + 88
            6, 0, 1, 0, 2, 0, 0, 0,                                       // AF_INET
            6, 0, 2, 0, 17, 0, 0, 0,                                      // IPPROTO_UDP (17)
            20, 0, 3, 0, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ADDR 10.0.0.2
            6, 0, 4, 0, 0, 53, 0, 0,                                      // PORT 53, big-endian
            7, 0, 6, 0, (byte)'s', (byte)'h', 0, 0,                       // SCHED_NAME "sh\0": len 7, 1 pad byte
            8, 0, 11, 0, (byte)'s', (byte)'i', (byte)'p', 0,              // PE_NAME "sip\0"
            12, 0, 7, 0, 0x19, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,           // FLAGS {PERSISTENT 1 | SCHED1 8 | SCHED2 0x10, mask ~0}
            8, 0, 8, 0, 0x2c, 0x01, 0, 0,                                 // TIMEOUT 300
            8, 0, 9, 0, 0xff, 0xff, 0xff, 0x00,                           // NETMASK /24 as mask bytes 255.255.255.0
        ];
        Assert.Equal(expected, IpvsCodec.SetService(Family, new VirtualService(key, spec)));
    }

    [Fact]
    public void DelServiceCarriesOnlyTheServiceIdentity()
    {
        byte[] expected =
        [
            68, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 16 + 4 + 48, REQUEST
            3, 1, 0, 0,                                           // IPVS_CMD_DEL_SERVICE (3), version 1
            .. WebIdentity,
        ];
        Assert.Equal(expected, IpvsCodec.DelService(Family, Web));
    }

    [Fact]
    public void SetDestCarriesServiceIdentityThenTheFullDestination()
    {
        var destination = new Destination(new DestinationKey(IPAddress.Parse("10.1.0.2"), 80),
            new DestinationSpec { Forward = ForwardMethod.DirectRoute, Weight = 0 });
        byte[] expected =
        [
            140, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0,      // nlmsghdr: len 16 + 4 + 48 + 72, REQUEST
            6, 1, 0, 0,                                                  // IPVS_CMD_SET_DEST (6), version 1
            .. WebIdentity,
            72, 0, 2, 0,                                                 // CMD_ATTR_DEST: 4 + 68
            6, 0, 11, 0, 2, 0, 0, 0,                                     // DEST_ATTR_ADDR_FAMILY = AF_INET
            20, 0, 1, 0, 10, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // DEST_ATTR_ADDR 10.1.0.2
            6, 0, 2, 0, 0, 80, 0, 0,                                     // DEST_ATTR_PORT 80, big-endian
            8, 0, 3, 0, 3, 0, 0, 0,                                      // FWD_METHOD = DROUTE (3)
            8, 0, 4, 0, 0, 0, 0, 0,                                      // WEIGHT 0 (quiesced)
            8, 0, 5, 0, 0, 0, 0, 0,                                      // U_THRESH 0
            8, 0, 6, 0, 0, 0, 0, 0,                                      // L_THRESH 0
        ];
        Assert.Equal(expected, IpvsCodec.SetDest(Family, Web, destination));
    }

    [Fact]
    public void SetDestOfAnIPv6GreTunnelWithChecksumAddsTheTunnelAttributes()
    {
        var destination = new Destination(new DestinationKey(IPAddress.Parse("fd00::9"), 80),
            new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 2, TunnelType = TunnelType.Gre, TunnelFlags = TunnelFlags.Checksum });
        byte[] expected =
        [
            164, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0,      // nlmsghdr: len 16 + 4 + 48 + 96, REQUEST
            6, 1, 0, 0,                                                  // IPVS_CMD_SET_DEST (6), version 1
            .. WebIdentity,
            96, 0, 2, 0,                                                 // CMD_ATTR_DEST: 4 + 92
            6, 0, 11, 0, 10, 0, 0, 0,                                    // ADDR_FAMILY = AF_INET6 (10) on an IPv4 service
            20, 0, 1, 0, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, // ADDR fd00::9
            6, 0, 2, 0, 0, 80, 0, 0,                                     // PORT 80, big-endian
            8, 0, 3, 0, 2, 0, 0, 0,                                      // FWD_METHOD = TUNNEL (2)
            8, 0, 4, 0, 2, 0, 0, 0,                                      // WEIGHT 2
            8, 0, 5, 0, 0, 0, 0, 0,                                      // U_THRESH 0
            8, 0, 6, 0, 0, 0, 0, 0,                                      // L_THRESH 0
            5, 0, 13, 0, 2, 0, 0, 0,                                     // TUN_TYPE u8 = GRE (2): len 5, 3 pad bytes
            6, 0, 14, 0, 0, 0, 0, 0,                                     // TUN_PORT 0, big-endian (GUE only)
            6, 0, 15, 0, 1, 0, 0, 0,                                     // TUN_FLAGS = CSUM (1 << 0)
        ];
        Assert.Equal(expected, IpvsCodec.SetDest(Family, Web, destination));
    }

    [Fact]
    public void DelDestCarriesServiceIdentityThenDestinationIdentity()
    {
        byte[] expected =
        [
            108, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0,      // nlmsghdr: len 16 + 4 + 48 + 40, REQUEST
            7, 1, 0, 0,                                                  // IPVS_CMD_DEL_DEST (7), version 1
            .. WebIdentity,
            40, 0, 2, 0,                                                 // CMD_ATTR_DEST: 4 + 36
            6, 0, 11, 0, 2, 0, 0, 0,                                     // ADDR_FAMILY = AF_INET
            20, 0, 1, 0, 10, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ADDR 10.1.0.1
            6, 0, 2, 0, 0x1f, 0x90, 0, 0,                                // PORT 8080 = 0x1f90, big-endian
        ];
        Assert.Equal(expected, IpvsCodec.DelDest(Family, Web, new DestinationKey(IPAddress.Parse("10.1.0.1"), 8080)));
    }

    [Fact]
    public void ZeroOfOneServiceCarriesItsIdentity()
    {
        byte[] expected =
        [
            68, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 16 + 4 + 48, REQUEST
            16, 1, 0, 0,                                          // IPVS_CMD_ZERO (16), version 1
            .. WebIdentity,
        ];
        Assert.Equal(expected, IpvsCodec.Zero(Family, Web));
    }

    /// <summary>Commands without attributes: a bare nlmsghdr + genlmsghdr of 20 bytes.</summary>
    [Theory]
    [InlineData("GET_INFO", 15)]
    [InlineData("GET_CONFIG", 13)]
    [InlineData("ZERO (all)", 16)]
    [InlineData("FLUSH", 17)]
    public void CommandsWithoutAttributesAreTheTwoHeadersOnly(string kind, byte command)
    {
        var bytes = kind switch
        {
            "GET_INFO" => IpvsCodec.GetInfo(Family),
            "GET_CONFIG" => IpvsCodec.GetConfig(Family),
            "ZERO (all)" => IpvsCodec.Zero(Family, null),
            "FLUSH" => IpvsCodec.Flush(Family),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        byte[] expected =
        [
            20, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 20, REQUEST (doit, not a dump)
            command, 1, 0, 0,                                     // the command, version 1
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void GetDaemonIsABareDump()
    {
        byte[] expected =
        [
            20, 0, 0, 0, 0x23, 0, 0x01, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 20, REQUEST | DUMP (0x0301): GET_DAEMON has only a dumpit
            11, 1, 0, 0,                                             // IPVS_CMD_GET_DAEMON (11), version 1
        ];
        Assert.Equal(expected, IpvsCodec.DumpDaemons(Family));
    }

    [Fact]
    public void NewDaemonWithGroupAndPort()
    {
        var daemon = new SyncDaemon
        {
            State = SyncDaemonState.Master, Interface = "eth1", SyncId = 9, MulticastGroup = IPAddress.Parse("239.1.2.3"), MulticastPort = 8849,
        };
        byte[] expected =
        [
            68, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 16 + 4 + 48, REQUEST
            9, 1, 0, 0,                                           // IPVS_CMD_NEW_DAEMON (9), version 1
            48, 0, 3, 0,                                          // CMD_ATTR_DAEMON: 4 + 8 + 12 + 8 + 8 + 8
            8, 0, 1, 0, 1, 0, 0, 0,                               // DAEMON_ATTR_STATE = IP_VS_STATE_MASTER (1)
            9, 0, 2, 0, (byte)'e', (byte)'t', (byte)'h', (byte)'1', 0, 0, 0, 0, // DAEMON_ATTR_MCAST_IFN "eth1\0", padded
            8, 0, 3, 0, 9, 0, 0, 0,                               // DAEMON_ATTR_SYNC_ID = 9 (u32)
            8, 0, 5, 0, 239, 1, 2, 3,                             // DAEMON_ATTR_MCAST_GROUP 239.1.2.3 (in_addr, network order)
            6, 0, 7, 0, 0x91, 0x22, 0, 0,                         // DAEMON_ATTR_MCAST_PORT 8849: u16 in host order (the kernel htons it)
        ];
        Assert.Equal(expected, IpvsCodec.NewDaemon(Family, daemon));
    }

    [Fact]
    public void NewDaemonWithAnIpv6GroupUsesGroup6()
    {
        var daemon = new SyncDaemon { State = SyncDaemonState.Backup, Interface = "sync0", SyncId = 255, MulticastGroup = IPAddress.Parse("ff02::1:2"), MulticastPort = 9000 };
        byte[] expected =
        [
            80, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 16 + 4 + 60, REQUEST
            9, 1, 0, 0,                                           // IPVS_CMD_NEW_DAEMON (9), version 1
            60, 0, 3, 0,                                          // CMD_ATTR_DAEMON: 4 + 8 + 12 + 8 + 20 + 8
            8, 0, 1, 0, 2, 0, 0, 0,                               // DAEMON_ATTR_STATE = IP_VS_STATE_BACKUP (2)
            10, 0, 2, 0, (byte)'s', (byte)'y', (byte)'n', (byte)'c', (byte)'0', 0, 0, 0, // DAEMON_ATTR_MCAST_IFN "sync0\0", padded
            8, 0, 3, 0, 255, 0, 0, 0,                             // DAEMON_ATTR_SYNC_ID = 255
            20, 0, 6, 0, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, // DAEMON_ATTR_MCAST_GROUP6 ff02::1:2 (in6_addr)
            6, 0, 7, 0, 0x28, 0x23, 0, 0,                         // DAEMON_ATTR_MCAST_PORT 9000 (0x2328)
        ];
        Assert.Equal(expected, IpvsCodec.NewDaemon(Family, daemon));
    }

    [Fact]
    public void DelDaemonCarriesOnlyTheState()
    {
        byte[] expected =
        [
            32, 0, 0, 0, 0x23, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: len 16 + 4 + 12, REQUEST
            10, 1, 0, 0,                                          // IPVS_CMD_DEL_DAEMON (10), version 1
            12, 0, 3, 0,                                          // CMD_ATTR_DAEMON: 4 + 8
            8, 0, 1, 0, 2, 0, 0, 0,                               // DAEMON_ATTR_STATE = IP_VS_STATE_BACKUP (2)
        ];
        Assert.Equal(expected, IpvsCodec.DelDaemon(Family, SyncDaemonState.Backup));
    }

    // ---- Replies written by hand as the kernel sends them (payload = from the genlmsghdr on).

    [Fact]
    public void ParsesAGetInfoReply()
    {
        byte[] payload =
        [
            14, 1, 0, 0,                   // reply cmd IPVS_CMD_SET_INFO (14), version 1
            8, 0, 1, 0, 0x01, 0x02, 0x01, 0, // INFO_ATTR_VERSION = IP_VS_VERSION_CODE 0x010201
            8, 0, 2, 0, 0, 0x10, 0, 0,     // INFO_ATTR_CONN_TAB_SIZE = 4096
        ];
        var info = IpvsCodec.ParseInfo(payload);
        Assert.Equal(new IpvsInfo(0x010201, 4096), info);
        Assert.Equal("1.2.1", info.Version);
    }

    [Fact]
    public void ParsesAGetConfigReply()
    {
        byte[] payload =
        [
            12, 1, 0, 0,                   // reply cmd IPVS_CMD_SET_CONFIG (12), version 1
            8, 0, 4, 0, 0x84, 0x03, 0, 0,  // CMD_ATTR_TIMEOUT_TCP = 900
            8, 0, 5, 0, 120, 0, 0, 0,      // CMD_ATTR_TIMEOUT_TCP_FIN = 120
            8, 0, 6, 0, 0x2c, 0x01, 0, 0,  // CMD_ATTR_TIMEOUT_UDP = 300
        ];
        Assert.Equal(new IpvsTimeouts(900, 120, 300), IpvsCodec.ParseConfig(payload));
    }

    [Fact]
    public void ParsesADaemonReplyWithEveryAttribute()
    {
        byte[] payload =
        [
            9, 1, 0, 0,                                          // reply cmd IPVS_CMD_NEW_DAEMON (9), version 1
            64, 0, 3, 0,                                         // CMD_ATTR_DAEMON: 4 + 60 (no NLA_F_NESTED, as the kernel emits)
            8, 0, 1, 0, 2, 0, 0, 0,                              // STATE = BACKUP (2)
            9, 0, 2, 0, (byte)'e', (byte)'t', (byte)'h', (byte)'1', 0, 0, 0, 0, // MCAST_IFN "eth1\0": len 9, 3 pad bytes
            8, 0, 3, 0, 7, 0, 0, 0,                              // SYNC_ID 7
            6, 0, 4, 0, 0xc0, 0x05, 0, 0,                        // SYNC_MAXLEN 1472 (u16)
            6, 0, 7, 0, 0x90, 0x22, 0, 0,                        // MCAST_PORT 8848 (u16, host order)
            5, 0, 8, 0, 1, 0, 0, 0,                              // MCAST_TTL 1 (u8)
            8, 0, 5, 0, 224, 0, 0, 81,                           // MCAST_GROUP 224.0.0.81 (in_addr, network order)
        ];
        var expected = new SyncDaemon
        {
            State = SyncDaemonState.Backup, Interface = "eth1", SyncId = 7, MaxLength = 1472,
            MulticastGroup = IPAddress.Parse("224.0.0.81"), MulticastPort = 8848, MulticastTtl = 1,
        };
        Assert.Equal(expected, IpvsCodec.ParseDaemonMessage(payload));
    }

    [Fact]
    public void ParsesAnOlderKernelsDaemonReplyAndANestedFlagOnTheNest()
    {
        byte[] payload =
        [
            9, 1, 0, 0,                                          // IPVS_CMD_NEW_DAEMON, version 1
            40, 0, 3, 0x80,                                      // CMD_ATTR_DAEMON | NLA_F_NESTED (0x8000): 4 + 36
            8, 0, 1, 0, 1, 0, 0, 0,                              // STATE = MASTER (1)
            11, 0, 2, 0, (byte)'g', (byte)'l', (byte)'s', (byte)'y', (byte)'n', (byte)'c', 0, 0, // MCAST_IFN "glsync\0": len 11
            8, 0, 3, 0, 0x2a, 0, 0, 0,                           // SYNC_ID 42; nothing of 4..8 (kernels before ~4.3)
            8, 0, 99, 0, 1, 2, 3, 4,                             // an attribute id from the future: ignored
        ];
        var expected = new SyncDaemon { State = SyncDaemonState.Master, Interface = "glsync", SyncId = 42 };
        Assert.Equal(expected, IpvsCodec.ParseDaemonMessage(payload));
    }

    [Fact]
    public void ADaemonDumpMessageWithoutADaemonAttributeIsNoDaemon()
    {
        byte[] payload = [9, 1, 0, 0];
        Assert.Null(IpvsCodec.ParseDaemonMessage(payload));
    }

    /// <summary>
    /// Kernels before 4.1 send only STATS: u32 counters and rates, u64 bytes. Each is widened, not sign-extended,
    /// and used as the service's counters.
    /// </summary>
    [Fact]
    public void ParsesAServiceReplyWithOnlyThe32BitStatsOfOlderKernels()
    {
        byte[] payload =
        [
            1, 1, 0, 0,                                                   // reply cmd IPVS_CMD_NEW_SERVICE (1), version 1
            176, 0, 1, 0,                                                 // CMD_ATTR_SERVICE: 4 + 80 + 92
            6, 0, 1, 0, 2, 0, 0, 0,                                       // AF_INET
            6, 0, 2, 0, 6, 0, 0, 0,                                       // IPPROTO_TCP
            20, 0, 3, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ADDR 10.0.0.1, 16 bytes
            6, 0, 4, 0, 0, 80, 0, 0,                                      // PORT 80, big-endian
            8, 0, 6, 0, (byte)'w', (byte)'l', (byte)'c', 0,               // SCHED_NAME "wlc"
            12, 0, 7, 0, 0x02, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,           // FLAGS {HASHED, mask ~0}
            8, 0, 8, 0, 0, 0, 0, 0,                                       // TIMEOUT 0
            8, 0, 9, 0, 0xff, 0xff, 0xff, 0xff,                           // NETMASK /32
            92, 0, 10, 0,                                                 // SVC_ATTR_STATS: 4 + 8 × 8 + 2 × 12; no STATS64
            8, 0, 1, 0, 0xf0, 0xff, 0xff, 0xff,                           // CONNS u32 4294967280 (high bit set)
            8, 0, 2, 0, 0xe8, 0x03, 0, 0,                                 // INPKTS u32 1000
            8, 0, 3, 0, 0x84, 0x03, 0, 0,                                 // OUTPKTS u32 900
            12, 0, 4, 0, 1, 0, 0, 0, 1, 0, 0, 0,                          // INBYTES u64 0x1_0000_0001
            12, 0, 5, 0, 0x40, 0xe2, 0x01, 0, 0, 0, 0, 0,                 // OUTBYTES u64 123456
            8, 0, 6, 0, 3, 0, 0, 0,                                       // CPS u32 3
            8, 0, 7, 0, 40, 0, 0, 0,                                      // INPPS u32 40
            8, 0, 8, 0, 30, 0, 0, 0,                                      // OUTPPS u32 30
            8, 0, 9, 0, 0x88, 0x13, 0, 0,                                 // INBPS u32 5000
            8, 0, 10, 0, 0xa0, 0x0f, 0, 0,                                // OUTBPS u32 4000
        ];

        var status = IpvsCodec.ParseServiceMessage(payload);

        Assert.Equal(new VirtualService(Web, new VirtualServiceSpec { Scheduler = "wlc" }), status.Service);
        Assert.Equal(new IpvsStats
        {
            Connections = 4_294_967_280, InPackets = 1000, OutPackets = 900, InBytes = 0x1_0000_0001, OutBytes = 123_456,
            ConnectionsPerSecond = 3, InPacketsPerSecond = 40, OutPacketsPerSecond = 30, InBytesPerSecond = 5000, OutBytesPerSecond = 4000,
        }, status.Stats);
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
