using System.Net.Sockets;
using GorbLink.Core.Rendering;
using GorbLink.Ipvs;
using static GorbLink.Testing.KernelTables;

namespace GorbLink.Core.Tests.Rendering;

public sealed class IpvsTableTextTests
{
    private static DestinationStatus Status(Destination destination, uint active = 0, uint inactive = 0, IpvsStats? stats = null) =>
        new(destination, active, inactive, 0, stats ?? IpvsStats.Empty);

    private static VirtualServiceTable Table(VirtualServiceKey key, VirtualServiceSpec spec, params DestinationStatus[] destinations) =>
        Table(key, spec, IpvsStats.Empty, destinations);

    private static VirtualServiceTable Table(VirtualServiceKey key, VirtualServiceSpec spec, IpvsStats stats, params DestinationStatus[] destinations) =>
        new(new VirtualServiceStatus(new VirtualService(key, spec with { Flags = spec.Flags | ServiceFlags.Hashed }), stats), destinations);

    [Fact]
    public void RendersLikeIpvsadmLn()
    {
        IReadOnlyList<VirtualServiceTable> tables =
        [
            Table(Fwmark(8, AddressFamily.InterNetworkV6), new VirtualServiceSpec { Scheduler = "lc" }),
            Table(Tcp("2001:db8::1", 443), new VirtualServiceSpec { PersistenceTimeout = 60, Flags = ServiceFlags.Persistent, NetmaskPrefixLength = 64 },
                Status(Dest("2001:db8::10", 8443, new DestinationSpec { Forward = ForwardMethod.Tunnel }))),
            Table(Fwmark(7), new VirtualServiceSpec { Scheduler = "rr" },
                Status(Dest("10.1.0.4", 0, new DestinationSpec { Forward = ForwardMethod.DirectRoute }))),
            Table(VirtualServiceKey.For(IpvsProtocol.Sctp, System.Net.IPAddress.Parse("10.0.0.1"), 3868), new VirtualServiceSpec { Scheduler = "wlc" }),
            Table(Udp("10.0.0.1", 53), new VirtualServiceSpec { Scheduler = "rr", Flags = ServiceFlags.OnePacket },
                Status(Dest("10.1.0.3", 53, new DestinationSpec { Forward = ForwardMethod.Local }))),
            Table(Tcp("10.0.0.2", 443), new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Persistent, PersistenceTimeout = 300, NetmaskPrefixLength = 24, PersistenceEngine = "sip" }),
            Table(Tcp("10.0.0.1", 80), VirtualServiceSpec.Default,
                Status(Dest("10.1.0.2", 8080, new DestinationSpec { Forward = ForwardMethod.DirectRoute, Weight = 5 })),
                Status(Dest("10.1.0.1", 8080), active: 3, inactive: 7)),
        ];

        Assert.Equal(
            """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
            TCP  10.0.0.1:80 wrr
              -> 10.1.0.1:8080                Masq    1      3          7
              -> 10.1.0.2:8080                Route   5      0          0
            TCP  10.0.0.2:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0 pe sip
            UDP  10.0.0.1:53 rr ops
              -> 10.1.0.3:53                  Local   1      0          0
            SCTP  10.0.0.1:3868 wlc
            TCP  [2001:db8::1]:443 wrr persistent 60 mask 64
              -> [2001:db8::10]:8443          Tunnel  1      0          0
            FWM  7 rr
              -> 10.1.0.4:0                   Route   1      0          0
            FWM  8 IPv6 lc

            """.ReplaceLineEndings("\n"),
            IpvsTableText.Render(tables, new IpvsInfo(0x010201, 4096)));
    }

    [Fact]
    public void HeaderIsOptionalAndAnEmptyTableHasOnlyColumnTitles()
    {
        Assert.Equal(
            """
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port           Forward Weight ActiveConn InActConn

            """.ReplaceLineEndings("\n"),
            IpvsTableText.Render([]));
    }

    [Fact]
    public void NonShSchedulersShowRawSchedulerFlags()
    {
        var text = IpvsTableText.Render([Table(Tcp("10.0.0.1", 80), new VirtualServiceSpec { Scheduler = "mh", Flags = ServiceFlags.Sched2 | ServiceFlags.Sched3 }),
            Table(Tcp("10.0.0.2", 80), new VirtualServiceSpec { Scheduler = "rr", Flags = ServiceFlags.Sched1 })]);
        Assert.Contains("TCP  10.0.0.1:80 mh (mh-port,flag-3)\n", text, StringComparison.Ordinal);
        Assert.Contains("TCP  10.0.0.2:80 rr (flag-1)\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void RendersLikeIpvsadmLnStats()
    {
        var big = new IpvsStats { Connections = 99_999_999, InPackets = 123_456_789, OutPackets = 12_345_678_901, InBytes = 12_345_678_901_234, OutBytes = 123_456_789_012_345_678 };
        IReadOnlyList<VirtualServiceTable> tables =
        [
            Table(Fwmark(7), VirtualServiceSpec.Default, IpvsStats.Empty),
            Table(Tcp("10.0.0.1", 80), VirtualServiceSpec.Default,
                new IpvsStats { Connections = 12, InPackets = 100, OutPackets = 90, InBytes = 6000, OutBytes = 120000 },
                Status(Dest("10.1.0.1", 8080), stats: big)),
        ];

        Assert.Equal(
            """
            Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
              -> RemoteAddress:Port
            TCP  10.0.0.1:80                        12      100       90     6000   120000
              -> 10.1.0.1:8080                99999999  123456K   12345M   12345G  123456T
            FWM  7                                   0        0        0        0        0

            """.ReplaceLineEndings("\n"),
            IpvsTableText.RenderStats(tables));

        Assert.Equal(
            """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
              -> RemoteAddress:Port
            TCP  10.0.0.1:80                        12      100       90     6000   120000
              -> 10.1.0.1:8080                99999999 123456789 12345678901 12345678901234 123456789012345678
            FWM  7                                   0        0        0        0        0

            """.ReplaceLineEndings("\n"),
            IpvsTableText.RenderStats(tables, new IpvsInfo(0x010201, 4096), exact: true));
    }
}
