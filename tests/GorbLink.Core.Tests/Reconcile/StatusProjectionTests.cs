using System.Net;
using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Core.Status;
using GorbLink.Ipvs;
using GorbLink.Netlink;

namespace GorbLink.Core.Tests.Reconcile;

/// <summary>
/// The status projection as a table: the kernel's dump, ownership after the batch and the per-operation results in,
/// the status out. Each refused case is the one a projection that replayed the plan would get wrong.
/// </summary>
public sealed class StatusProjectionTests
{
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly VirtualServiceKey Api = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.2"), 8080);
    private static readonly DestinationKey A = new(IPAddress.Parse("10.1.0.1"), 8080);
    private static readonly DestinationKey B = new(IPAddress.Parse("10.1.0.2"), 8080);
    private static readonly DestinationKey Someone = new(IPAddress.Parse("10.9.0.9"), 8080);

    private static Destination Dest(DestinationKey key, int weight) => new(key, DestinationSpec.Default with { Weight = weight });
    private static VirtualService Service(VirtualServiceKey key, string scheduler) => new(key, VirtualServiceSpec.Default with { Scheduler = scheduler });

    /// <summary>In the kernel: web (wlc, 100 connections) with A at weight 1 (3 active), and Someone's destination at weight 1.</summary>
    private static readonly Dictionary<VirtualServiceKey, VirtualServiceTable> Dump = new()
    {
        [Web] = new VirtualServiceTable(
            new VirtualServiceStatus(Service(Web, "wlc"), IpvsStats.Empty with { Connections = 100 }),
            [new DestinationStatus(Dest(A, 1), 3, 0, 0, IpvsStats.Empty), new DestinationStatus(Dest(Someone, 1), 0, 0, 0, IpvsStats.Empty)]),
    };

    private static readonly OwnedTable OwnsWebAndA = Owned((Web, [A]));

    private static OwnedTable Owned(params (VirtualServiceKey Service, DestinationKey[] Destinations)[] services) =>
        OwnedTable.Create(services.Select(s => KeyValuePair.Create(s.Service, (IEnumerable<DestinationKey>)s.Destinations)));

    public sealed record Case(string Name, OwnedTable Owned, IpvsOperation[] Operations, int[] Refused, string Expected)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases => new()
    {
        new Case("nothing sent: the dump, foreign destinations marked", OwnsWebAndA, [], [],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("accepted weight update: new weight, the dump's connections", OwnsWebAndA,
            [new IpvsOperation.UpdateDestination(Web, Dest(A, 5))], [],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w5 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("refused weight update: the old weight stays", OwnsWebAndA,
            [new IpvsOperation.UpdateDestination(Web, Dest(A, 5))], [0],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("accepted create: listed with no connections", Owned((Web, [A, B])),
            [new IpvsOperation.CreateDestination(Web, Dest(B, 2))], [],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.1.0.2:8080 w2 a0 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("refused create: absent", OwnsWebAndA,
            [new IpvsOperation.CreateDestination(Web, Dest(B, 2))], [0],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("refused create recorded ahead of the kernel (write-ahead): still absent", Owned((Web, [A, B])),
            [new IpvsOperation.CreateDestination(Web, Dest(B, 2))], [0],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("accepted delete: gone", Owned((Web, [])),
            [new IpvsOperation.DeleteDestination(Web, A)], [],
            "tcp 10.0.0.1:80 wlc conns=100 [10.9.0.9:8080 w1 a0 foreign]"),
        new Case("refused delete: still there", OwnsWebAndA,
            [new IpvsOperation.DeleteDestination(Web, A)], [0],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("accepted scheduler update", OwnsWebAndA,
            [new IpvsOperation.UpdateService(Service(Web, "rr"))], [],
            "tcp 10.0.0.1:80 rr conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("refused scheduler update: the old scheduler", OwnsWebAndA,
            [new IpvsOperation.UpdateService(Service(Web, "rr"))], [0],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("accepted new service with a destination: zero counters", Owned((Web, [A]), (Api, [B])),
            [new IpvsOperation.CreateService(Service(Api, "rr")), new IpvsOperation.CreateDestination(Api, Dest(B, 1))], [],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]; tcp 10.0.0.2:8080 rr conns=0 [10.1.0.2:8080 w1 a0 active]"),
        new Case("refused new service, listed ahead in the record: absent", Owned((Web, [A]), (Api, [B])),
            [new IpvsOperation.CreateService(Service(Api, "rr")), new IpvsOperation.CreateDestination(Api, Dest(B, 1))], [0, 1],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w1 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("one of two identical-looking results refused: matched by index", Owned((Web, [A, B])),
            [new IpvsOperation.UpdateDestination(Web, Dest(A, 7)), new IpvsOperation.CreateDestination(Web, Dest(B, 7))], [1],
            "tcp 10.0.0.1:80 wlc conns=100 [10.1.0.1:8080 w7 a3 active, 10.9.0.9:8080 w1 a0 foreign]"),
        new Case("refused service delete: the service stays with its destinations", OwnsWebAndA,
            [new IpvsOperation.DeleteDestination(Web, A), new IpvsOperation.DeleteService(Web)], [1],
            "tcp 10.0.0.1:80 wlc conns=100 [10.9.0.9:8080 w1 a0 foreign]"),
        new Case("accepted service delete: gone", Owned(),
            [new IpvsOperation.DeleteDestination(Web, A), new IpvsOperation.DeleteService(Web)], [],
            ""),
        new Case("not owned: not listed", Owned(), [], [], ""),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void StatusIsTheDumpWithWhatTheKernelAccepted(Case c)
    {
        var failures = c.Refused.Select(i => new IpvsOperationFailure(i, c.Operations[i],
            new IpvsException(c.Operations[i].Kind, "refused", Errno.EINVAL, "refused"))).ToList();
        var outcome = new BatchOutcome(c.Operations, failures);

        var services = StatusProjection.Project(Dump, c.Owned, DesiredState.Empty, new DrainTracker(TimeSpan.FromSeconds(30)), outcome);

        Assert.Equal(c.Expected, Render(services));
    }

    [Fact]
    public void DrainingDestinationsAreMarkedWithTheirDeadline()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var drains = new DrainTracker(TimeSpan.FromSeconds(30), time);
        Assert.Equal(DrainDecision.Keep, drains.Evaluate(new DestinationRef(Web, A), 3, 0, DrainReason.NoLongerWanted));

        var services = StatusProjection.Project(Dump, OwnsWebAndA, DesiredState.Empty, drains,
            new BatchOutcome([new IpvsOperation.UpdateDestination(Web, Dest(A, 0))], []));

        var a = services.Single().Destinations.First(d => d.Address == "10.1.0.1");
        Assert.Equal(("draining", 0), (a.State, a.Weight));
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(30), a.DrainDeadline);
        Assert.Equal("removing", services.Single().State); // no container asks for the service
    }

    private static string Render(IReadOnlyList<ServiceStatusEntry> services) => string.Join("; ", services.Select(s =>
        $"{s.Service} {s.Scheduler} conns={s.Connections} [" +
        string.Join(", ", s.Destinations.Select(d => $"{d.Address}:{d.Port} w{d.Weight} a{d.ActiveConnections} {d.State}")) + "]"));
}
