using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Desired;
using GorbLink.Core.Reconcile;
using GorbLink.Ipvs;
using Microsoft.Extensions.Time.Testing;

namespace GorbLink.Core.Tests.Reconcile;

public sealed class DrainTrackerTests
{
    private readonly FakeTimeProvider _time = new();

    private static DestinationRef Ref(VirtualServiceKey service) => new(service, new DestinationKey(IPAddress.Parse("192.0.2.10"), 32001));
    private static readonly DestinationRef Tcp = Ref(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80));
    private static readonly DestinationRef Udp = Ref(VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.1"), 53));
    private static readonly DestinationRef Sctp = Ref(VirtualServiceKey.For(IpvsProtocol.Sctp, IPAddress.Parse("10.0.0.1"), 3868));
    private static readonly DestinationRef Fwmark = Ref(VirtualServiceKey.ForFirewallMark(AddressFamily.InterNetwork, 5));

    [Fact]
    public void UdpGoesAtOnceWhateverItsConnections()
    {
        var drains = new DrainTracker(TimeSpan.FromSeconds(30), _time);
        Assert.Equal(DrainDecision.DeleteUdp, drains.Evaluate(Udp, 10, 10, DrainReason.NoLongerWanted));
        Assert.Equal(0, drains.Count);
    }

    [Theory]
    [MemberData(nameof(Drained))]
    public void ConnectionOrientedServicesDrainUntilTheDeadline(string name)
    {
        var reference = name switch { "tcp" => Tcp, "sctp" => Sctp, _ => Fwmark };
        var drains = new DrainTracker(TimeSpan.FromSeconds(30), _time);
        var start = _time.GetUtcNow();

        Assert.Equal(DrainDecision.Keep, drains.Evaluate(reference, 1, 0, DrainReason.ContainerDraining));
        Assert.Equal(start.AddSeconds(30), drains.EarliestDeadline);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(DrainDecision.Keep, drains.Evaluate(reference, 0, 3, DrainReason.ContainerDraining));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DrainDecision.DeleteTimedOut, drains.Evaluate(reference, 0, 3, DrainReason.ContainerDraining));
        // The entry stays until the delete is confirmed, so a refused delete keeps its deadline.
        Assert.Equal(1, drains.Count);
        drains.Forget(reference);
        Assert.Equal(0, drains.Count);
    }

    public static TheoryData<string> Drained => ["tcp", "sctp", "fwmark"];

    [Fact]
    public void NoConnectionsMeansDeleteNow()
    {
        var drains = new DrainTracker(TimeSpan.FromSeconds(30), _time);
        Assert.Equal(DrainDecision.DeleteDrained, drains.Evaluate(Tcp, 0, 0, DrainReason.NoLongerWanted));
        Assert.Equal(DrainDecision.Keep, drains.Evaluate(Sctp, 1, 0, DrainReason.NoLongerWanted));
        Assert.Equal(DrainDecision.DeleteDrained, drains.Evaluate(Sctp, 0, 0, DrainReason.NoLongerWanted));
    }

    [Fact]
    public void RestoringEndsTheDrain()
    {
        var drains = new DrainTracker(TimeSpan.FromSeconds(30), _time);
        drains.Evaluate(Tcp, 1, 0, DrainReason.ContainerDraining);
        _time.Advance(TimeSpan.FromSeconds(29));

        var ended = drains.Restore(Tcp);

        Assert.NotNull(ended);
        Assert.Null(drains.Restore(Tcp));
        Assert.Null(drains.EarliestDeadline);
        // Draining again later starts a fresh deadline.
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(DrainDecision.Keep, drains.Evaluate(Tcp, 1, 0, DrainReason.ContainerDraining));
        Assert.Equal(_time.GetUtcNow().AddSeconds(30), drains.EarliestDeadline);
    }
}
