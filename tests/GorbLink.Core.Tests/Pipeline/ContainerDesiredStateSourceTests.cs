using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using GorbLink.Ipvs;
using GorbLink.Core.Tests.Reconcile;
using static GorbLink.Core.Tests.Reconcile.ReconcileHarness;

namespace GorbLink.Core.Tests.Pipeline;

/// <summary>One build of the container source per change, with one state per default VIP the sinks chose.</summary>
public sealed class ContainerDesiredStateSourceTests
{
    private static readonly DefaultVip Daemons = new(IPAddress.Parse("10.9.9.9"));

    private static ContainerRecord WithoutVip(ContainerRecord c) => c with { Labels = c.Labels.Remove("gorb.vip") };

    private static VirtualServiceKey Tcp80(IPAddress vip) => VirtualServiceKey.For(IpvsProtocol.Tcp, vip, 80);

    private static ContainerDesiredStateSource Source(params ContainerRecord[] containers)
    {
        var store = new ContainerStore();
        store.ReplaceAll(containers);
        return new ContainerDesiredStateSource(store, new DesiredStateBuilder(ReconcileHarness.Labels));
    }

    [Fact]
    public void EachDefaultVipGetsItsOwnStateFromOneBuild()
    {
        // web-1 has no vip label; other-1's label names the interface's address, the kernel's default VIP.
        var source = Source(WithoutVip(Container("web-1", 32001)), Container("other-1", 32002, service: "other", vip: Host.ToString()));

        var snapshot = source.Build(null, [DefaultVip.InterfaceAddress, Daemons, DefaultVip.InterfaceAddress]);

        Assert.Equal(2, snapshot.Views.Count);
        Assert.Same(snapshot.For(DefaultVip.InterfaceAddress), snapshot.State); // the first sink's choice
        var kernel = snapshot.For(DefaultVip.InterfaceAddress);
        Assert.Equal([Tcp80(Host)], kernel.Services.Select(s => s.Key));
        Assert.Equal(Tcp80(Host), Assert.Single(kernel.Conflicts).Service); // both claim the interface's address under different names
        var daemons = snapshot.For(Daemons);
        Assert.Equal(new[] { Tcp80(IPAddress.Parse("10.9.9.9")), Tcp80(Host) }.Order(KeyOrder.Instance), daemons.Services.Select(s => s.Key).Order(KeyOrder.Instance));
        Assert.Empty(daemons.Conflicts);
        Assert.Throws<InvalidOperationException>(() => snapshot.For(new DefaultVip(IPAddress.Parse("10.8.8.8"))));
    }

    [Fact]
    public void WithoutAnyChoiceTheBuilderUsesItsOwnLabelOptions()
    {
        var snapshot = Source(WithoutVip(Container("web-1", 32001))).Build(null, []);

        Assert.Empty(snapshot.Views);
        Assert.Equal([Tcp80(Host)], snapshot.For(Daemons).Services.Select(s => s.Key));
    }

    [Fact]
    public void AHolderKeepsItsClaimInEveryView()
    {
        var newer = WithoutVip(Container("web-1", 32001)) with { Created = DateTimeOffset.Parse("2025-01-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture) };
        var older = Container("other-1", 32002, service: "other", vip: Host.ToString()) with { Created = DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture) };
        var store = new ContainerStore();
        store.ReplaceAll([newer]);
        var source = new ContainerDesiredStateSource(store, new DesiredStateBuilder(ReconcileHarness.Labels));
        var first = source.Build(null, [DefaultVip.InterfaceAddress, Daemons]);

        // The older container arrives later and asks for the kernel's view of the service web-1 already holds there.
        store.ReplaceAll([newer, older]);
        var second = source.Build(first, [DefaultVip.InterfaceAddress, Daemons]);

        Assert.Equal(newer.Id, Assert.Single(second.For(DefaultVip.InterfaceAddress).Conflicts).HolderId);
        Assert.Empty(second.For(Daemons).Conflicts);
    }
}
