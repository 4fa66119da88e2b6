using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Desired;
using GorbLink.Core.Planning;
using GorbLink.Ipvs;
using static GorbLink.Testing.KernelTables;

namespace GorbLink.Core.Tests.Planning;

public sealed class IpvsPlannerTests
{
    public sealed record PlannerCase(
        IReadOnlyList<DesiredService> Desired,
        IReadOnlyList<VirtualServiceTable> Actual,
        IReadOnlyList<string> Expected,
        IpvsPlannerOptions? Options = null);

    private static readonly VirtualServiceKey Web = Tcp("10.0.0.1", 80);
    private static readonly VirtualServiceKey Dns = Udp("10.0.0.1", 53);
    private static readonly DesiredService WebTwoBackends = Service(Web, Dest("10.1.0.1", 8080), Dest("10.1.0.2", 8080));
    private static readonly DestinationSpec Gue6080 = new() { Forward = ForwardMethod.Tunnel, TunnelType = TunnelType.Gue, TunnelPort = 6080 };

    private static readonly Dictionary<string, PlannerCase> Cases = new()
    {
        ["create from empty"] = new(
            [WebTwoBackends],
            [],
            [
                "+ service tcp 10.0.0.1:80 (wrr)",
                "+ destination 10.1.0.1:8080 of service tcp 10.0.0.1:80 (nat, weight 1)",
                "+ destination 10.1.0.2:8080 of service tcp 10.0.0.1:80 (nat, weight 1)",
            ]),

        ["create describes non-default settings"] = new(
            [Service(Web, new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched2 | ServiceFlags.Persistent, PersistenceTimeout = 300, NetmaskPrefixLength = 24, PersistenceEngine = "sip" },
                Dest("10.1.0.1", 8080, Gue6080 with { UpperThreshold = 10, LowerThreshold = 5, TunnelFlags = TunnelFlags.Checksum }))],
            [],
            [
                "+ service tcp 10.0.0.1:80 (sh, flags sh-port, persistence 300, netmask 255.255.255.0, pe sip)",
                "+ destination 10.1.0.1:8080 of service tcp 10.0.0.1:80 (tunnel gue port 6080 csum, weight 1, upperThreshold 10, lowerThreshold 5)",
            ]),

        ["desired equals actual"] = new([WebTwoBackends], Tables(WebTwoBackends), []),

        ["kernel readback of a persistent sh service is not a change"] = new(
            [Service(Web, new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched1 | ServiceFlags.Sched2, PersistenceTimeout = 300 }, Dest("10.1.0.1", 8080))],
            [Readback(Service(Web, new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched1 | ServiceFlags.Sched2, PersistenceTimeout = 300 }, Dest("10.1.0.1", 8080)))],
            []),

        ["kernel readback of an IPv6 service with a default netmask is not a change"] = new(
            [Service(Tcp("2001:db8::1", 443), Dest("2001:db8::10", 8443))],
            [Readback(Service(Tcp("2001:db8::1", 443), Dest("2001:db8::10", 8443)))],
            []),

        ["Local forwarding reported for a local destination is not a change"] = new(
            [Service(Web, Dest("127.0.0.1", 8080), Dest("10.1.0.2", 8080, new DestinationSpec { Forward = ForwardMethod.DirectRoute }))],
            [Readback(Service(Web, Dest("127.0.0.1", 8080, new DestinationSpec { Forward = ForwardMethod.Local }),
                Dest("10.1.0.2", 8080, new DestinationSpec { Forward = ForwardMethod.Local })))],
            []),

        ["tunnel settings of a non-tunnel destination, and the port of a non-GUE tunnel, are not compared"] = new(
            [Service(Web, Dest("10.1.0.1", 8080), Dest("10.1.0.2", 8080, new DestinationSpec { Forward = ForwardMethod.Tunnel }))],
            [Readback(Service(Web, Dest("10.1.0.1", 8080, new DestinationSpec { TunnelType = TunnelType.Gue, TunnelPort = 6080 }),
                Dest("10.1.0.2", 8080, new DestinationSpec { Forward = ForwardMethod.Tunnel, TunnelPort = 9 })))],
            []),

        ["weight change updates the destination"] = new(
            [Service(Web, Dest("10.1.0.1", 8080, new DestinationSpec { Weight = 5 }), Dest("10.1.0.2", 8080))],
            [Readback(WebTwoBackends)],
            ["~ destination 10.1.0.1:8080 of service tcp 10.0.0.1:80: weight 1 -> 5"]),

        ["every destination setting change is listed"] = new(
            [Service(Web, Dest("10.1.0.1", 8080, Gue6080 with { TunnelPort = 6081, TunnelFlags = TunnelFlags.RemoteChecksum, UpperThreshold = 100, LowerThreshold = 10 }),
                Dest("10.1.0.2", 8080, new DestinationSpec { Forward = ForwardMethod.DirectRoute }))],
            [Readback(Service(Web, Dest("10.1.0.1", 8080, Gue6080), Dest("10.1.0.2", 8080)))],
            [
                "~ destination 10.1.0.1:8080 of service tcp 10.0.0.1:80: upperThreshold 0 -> 100, lowerThreshold 0 -> 10, tunnelPort 6080 -> 6081, tunnelFlags none -> remcsum",
                "~ destination 10.1.0.2:8080 of service tcp 10.0.0.1:80: forward nat -> dr",
            ]),

        ["tunnel type change"] = new(
            [Service(Web, Dest("10.1.0.1", 8080, Gue6080))],
            [Readback(Service(Web, Dest("10.1.0.1", 8080, new DestinationSpec { Forward = ForwardMethod.Tunnel })))],
            ["~ destination 10.1.0.1:8080 of service tcp 10.0.0.1:80: tunnel ipip -> gue, tunnelPort 0 -> 6080"]),

        ["spec change updates the service in place"] = new(
            [Service(Web, new VirtualServiceSpec { Scheduler = "rr", PersistenceTimeout = 300, Flags = ServiceFlags.Persistent }, Dest("10.1.0.1", 8080), Dest("10.1.0.2", 8080))],
            [Readback(WebTwoBackends)],
            ["~ service tcp 10.0.0.1:80: scheduler wrr -> rr, persistence 0 -> 300"]),

        ["flags, netmask and persistence engine changes"] = new(
            [Service(Web, new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched2 | ServiceFlags.OnePacket, PersistenceTimeout = 60, NetmaskPrefixLength = 24, PersistenceEngine = "sip" })],
            [Readback(Service(Web, new VirtualServiceSpec { Scheduler = "sh", PersistenceTimeout = 60 }))],
            ["~ service tcp 10.0.0.1:80: flags none -> sh-port,one-packet, netmask 255.255.255.255 -> 255.255.255.0, pe none -> sip"]),

        ["destination removal"] = new(
            [Service(Web, Dest("10.1.0.1", 8080))],
            [Readback(WebTwoBackends)],
            ["- destination 10.1.0.2:8080 of service tcp 10.0.0.1:80"]),

        ["services not desired are left alone without prune"] = new(
            [WebTwoBackends],
            [Readback(WebTwoBackends), Readback(Service(Dns, Dest("10.1.0.9", 53)))],
            []),

        ["prune deletes only owned services"] = new(
            [WebTwoBackends],
            [
                Readback(Service(Tcp("192.168.1.1", 80))),
                Readback(WebTwoBackends),
                Readback(Service(Tcp("10.0.0.3", 80), Dest("10.1.0.9", 80))),
                Readback(Service(Dns)),
                Readback(Service(Fwmark(5))),
            ],
            [
                "- service tcp 10.0.0.3:80",
                "- service udp 10.0.0.1:53",
            ],
            new IpvsPlannerOptions { Prune = true, IsOwned = key => key.Address is { } address && address.GetAddressBytes()[..3].SequenceEqual(new byte[] { 10, 0, 0 }) }),

        ["prune without an owner filter deletes every service not desired"] = new(
            [],
            [Readback(Service(Fwmark(5))), Readback(WebTwoBackends)],
            ["- service tcp 10.0.0.1:80", "- service fwmark 5 (inet)"],
            new IpvsPlannerOptions { Prune = true }),

        ["fwmark service"] = new(
            [
                Service(Fwmark(7), new VirtualServiceSpec { Scheduler = "rr" }, Dest("10.1.0.1", 0, new DestinationSpec { Forward = ForwardMethod.DirectRoute, Weight = 3 })),
                Service(Fwmark(8, AddressFamily.InterNetworkV6), Dest("2001:db8::10", 0, new DestinationSpec { Forward = ForwardMethod.DirectRoute })),
            ],
            [Readback(Service(Fwmark(7), new VirtualServiceSpec { Scheduler = "rr" }, Dest("10.1.0.1", 0, new DestinationSpec { Forward = ForwardMethod.DirectRoute })))],
            [
                "+ service fwmark 8 (inet6) (wrr)",
                "~ destination 10.1.0.1:0 of service fwmark 7 (inet): weight 1 -> 3",
                "+ destination [2001:db8::10]:0 of service fwmark 8 (inet6) (dr, weight 1)",
            ]),

        ["IPv6 service"] = new(
            [Service(Tcp("2001:db8::1", 443), new VirtualServiceSpec { PersistenceTimeout = 300, NetmaskPrefixLength = 64 }, Dest("2001:db8::10", 8443), Dest("2001:db8::11", 8443))],
            [Readback(Service(Tcp("2001:db8::1", 443), new VirtualServiceSpec { PersistenceTimeout = 300 }, Dest("2001:db8::10", 8443)))],
            [
                "~ service tcp [2001:db8::1]:443: netmask /128 -> /64",
                "+ destination [2001:db8::11]:8443 of service tcp [2001:db8::1]:443 (nat, weight 1)",
            ]),

        ["IPv6 destination of an IPv4 tunnel service"] = new(
            [Service(Web, Dest("2001:db8::10", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel }))],
            [Readback(Service(Web))],
            ["+ destination [2001:db8::10]:80 of service tcp 10.0.0.1:80 (tunnel ipip, weight 1)"]),

        ["ordering: destination deletes, service writes, destination writes, service deletes"] = new(
            [
                Service(Tcp("10.0.0.9", 80), Dest("10.1.0.9", 80)),
                Service(Web, new VirtualServiceSpec { Scheduler = "lc" }, Dest("10.1.0.1", 8080, new DestinationSpec { Weight = 2 }), Dest("10.1.0.3", 8080)),
                Service(Tcp("10.0.0.2", 80), Dest("10.1.0.5", 80), Dest("10.1.0.4", 80)),
            ],
            [
                Readback(Service(Dns, Dest("10.1.0.7", 53))),
                Readback(Service(Web, Dest("10.1.0.2", 8080), Dest("10.1.0.1", 8080), Dest("10.1.0.0", 8080))),
            ],
            [
                "- destination 10.1.0.0:8080 of service tcp 10.0.0.1:80",
                "- destination 10.1.0.2:8080 of service tcp 10.0.0.1:80",
                "+ service tcp 10.0.0.9:80 (wrr)",
                "~ service tcp 10.0.0.1:80: scheduler wrr -> lc",
                "+ service tcp 10.0.0.2:80 (wrr)",
                "+ destination 10.1.0.9:80 of service tcp 10.0.0.9:80 (nat, weight 1)",
                "~ destination 10.1.0.1:8080 of service tcp 10.0.0.1:80: weight 1 -> 2",
                "+ destination 10.1.0.3:8080 of service tcp 10.0.0.1:80 (nat, weight 1)",
                "+ destination 10.1.0.5:80 of service tcp 10.0.0.2:80 (nat, weight 1)",
                "+ destination 10.1.0.4:80 of service tcp 10.0.0.2:80 (nat, weight 1)",
                "- service udp 10.0.0.1:53",
            ],
            new IpvsPlannerOptions { Prune = true }),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Plans(string name)
    {
        var @case = Cases[name];
        var plan = IpvsPlanner.Plan(@case.Desired, @case.Actual, @case.Options);
        Assert.Equal(@case.Expected, plan.Steps.Select(step => step.Description));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ApplyingThePlanToTheActualTableGivesTheDesiredTable(string name)
    {
        var @case = Cases[name];
        var plan = IpvsPlanner.Plan(@case.Desired, @case.Actual, @case.Options);
        var after = IpvsTableModel.Apply(@case.Actual, plan.Operations);
        Assert.True(IpvsPlanner.Plan(@case.Desired, after, @case.Options).IsEmpty);
    }

    [Fact]
    public void SpecChangeSendsTheWholeDesiredServiceAndNeverDeletesIt()
    {
        var desired = Service(Web, new VirtualServiceSpec { Scheduler = "rr" }, Dest("10.1.0.1", 8080));
        var plan = IpvsPlanner.Plan([desired], [Readback(Service(Web, Dest("10.1.0.1", 8080)))], new IpvsPlannerOptions { Prune = true });

        var update = Assert.IsType<IpvsOperation.UpdateService>(Assert.Single(plan.Operations));
        Assert.Equal(desired.Service, update.Service);
        Assert.Equal(0, plan.Count(IpvsOperationKind.DeleteService));
    }

    [Fact]
    public void DestinationUpdateSendsTheWholeDesiredDestination()
    {
        var destination = Dest("10.1.0.1", 8080, Gue6080 with { Weight = 7 });
        var plan = IpvsPlanner.Plan([Service(Web, destination)], [Readback(Service(Web, Dest("10.1.0.1", 8080)))]);

        var update = Assert.IsType<IpvsOperation.UpdateDestination>(Assert.Single(plan.Operations));
        Assert.Equal(Web, update.Service);
        Assert.Equal(destination, update.Destination);
    }

    [Fact]
    public void CountsAndDescribesByKind()
    {
        var plan = IpvsPlanner.Plan([WebTwoBackends], [Readback(Service(Dns))], new IpvsPlannerOptions { Prune = true });

        Assert.Equal(1, plan.Count(IpvsOperationKind.CreateService));
        Assert.Equal(2, plan.Count(IpvsOperationKind.CreateDestination));
        Assert.Equal(1, plan.Count(IpvsOperationKind.DeleteService));
        Assert.Equal(0, plan.Count(IpvsOperationKind.UpdateService));
        Assert.Equal("services: 1 created, 0 updated, 1 deleted; destinations: 2 created, 0 updated, 0 deleted", plan.Summary());
        Assert.Equal(
            string.Join(Environment.NewLine,
                "+ service tcp 10.0.0.1:80 (wrr)",
                "+ destination 10.1.0.1:8080 of service tcp 10.0.0.1:80 (nat, weight 1)",
                "+ destination 10.1.0.2:8080 of service tcp 10.0.0.1:80 (nat, weight 1)",
                "- service udp 10.0.0.1:53"),
            plan.Describe());
    }

    [Fact]
    public void EmptyPlanSaysNoChanges()
    {
        var plan = IpvsPlanner.Plan([WebTwoBackends], [Readback(WebTwoBackends)]);

        Assert.True(plan.IsEmpty);
        Assert.Empty(plan.Operations);
        Assert.Equal("no changes", plan.Describe());
    }

    [Fact]
    public void RejectsAServiceDesiredTwice()
    {
        var error = Assert.Throws<ArgumentException>(() => IpvsPlanner.Plan([Service(Web), Service(Tcp("10.0.0.1", 80))], []));
        Assert.Contains("tcp 10.0.0.1:80", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsADestinationDesiredTwice()
    {
        var error = Assert.Throws<ArgumentException>(() => IpvsPlanner.Plan([Service(Web, Dest("10.1.0.1", 8080), Dest("10.1.0.1", 8080))], []));
        Assert.Contains("10.1.0.1:8080", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ipv4MappedAddressesAreTheSameService()
    {
        var mapped = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("::ffff:10.0.0.1"), 80);
        Assert.True(IpvsPlanner.Plan([Service(mapped)], [Readback(Service(Web))]).IsEmpty);
    }
}
