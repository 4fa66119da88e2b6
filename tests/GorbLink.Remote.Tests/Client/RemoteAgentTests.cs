using System.Net;
using GorbLink.Core.Ownership;
using GorbLink.Core.Pipeline;
using GorbLink.Core.Reconcile;
using GorbLink.Ipvs;
using GorbLink.Remote.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static GorbLink.Remote.Tests.Support.AgentRig;

namespace GorbLink.Remote.Tests.Client;

/// <summary>
/// `run -r … --local`: one pipeline over one container store drives this host's kernel (in memory) and a GORB daemon
/// (`gorblink serve` over loopback HTTP), each sink with its own default VIP.
/// </summary>
public sealed class RemoteAgentTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _kernelState = Directory.CreateTempSubdirectory("gorblink-local-").FullName;

    public void Dispose() => Directory.Delete(_kernelState, recursive: true);

    private PipelineSink KernelSink(FakeIpvsClient kernel) => ReconcileLoop.CreateSink(
        new Reconciler(kernel, new OwnershipStore(new OwnershipOptions { Path = Path.Combine(_kernelState, "state.json"), AgentVersion = "test" }),
            new ReconcilerOptions(), NullLogger<Reconciler>.Instance),
        new ReconcileLoopOptions { InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(1) });

    [Fact]
    public async Task OnePipelineDrivesTheKernelAndEachDaemonWithItsOwnDefaultVip()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        var kernel = new FakeIpvsClient();
        await using var rig = new AgentRig([daemon.Endpoint]) { Local = () => KernelSink(kernel) };
        // web-1 has no vip label; other-1 names the interface's address, which is also the kernel's default VIP.
        rig.Set(Container("web-1", 32768), Container("other-1", 32771, service: "other", vip: HostAddress.ToString()));
        rig.Start();
        var pipeline = rig.Agent!.Pipeline;
        var loop = new ReconcileLoop(pipeline);

        Assert.Same(pipeline, loop.Pipeline);
        Assert.Equal(["kernel", daemon.Endpoint], pipeline.Runners.Select(r => r.Name));
        await loop.FirstPassCompleted.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        // The daemon's sink: web-1 goes to the daemon's own default address (10.1.0.1 in the test daemon), other-1 to its label's VIP.
        var daemonWeb = VirtualServiceKey.For(IpvsProtocol.Tcp, TestDaemon.DefaultHost, 80);
        var interfaceVip = VirtualServiceKey.For(IpvsProtocol.Tcp, HostAddress, 80);
        await Eventually.TrueAsync(
            () => daemon.Kernel.Has(daemonWeb, new DestinationKey(HostAddress, 32768)) && daemon.Kernel.Has(interfaceVip, new DestinationKey(HostAddress, 32771)),
            "both services on the daemon", explain: () => $"daemon's kernel:\n{daemon.Kernel.Dump()}\nagent log:\n{rig.Logs.Text}");

        // The kernel's sink: web-1's default VIP is the interface's address, where other-1's label puts its service too:
        // the two claim one service under different names, so only one of them is programmed (the other is a conflict).
        Assert.Equal(1, kernel.ServiceCount);
        Assert.Equal(1, kernel.DestinationCount);
        Assert.True(kernel.Has(interfaceVip), kernel.Dump());
        Assert.False(kernel.Has(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Any, 80)), kernel.Dump());
        var conflict = Assert.Single(loop.Desired!.Conflicts);
        Assert.Equal(interfaceVip, conflict.Service);

        // One build per change feeds both sinks: a new container reaches both from the same revision.
        rig.Set(Container("web-2", 32769));
        var revision = rig.Store.Revision;
        await Eventually.TrueAsync(() => pipeline.Runners.All(r => r.Counters.AppliedRevision >= revision), "both sinks applied the new revision");
        Assert.True(daemon.Kernel.Has(daemonWeb, new DestinationKey(HostAddress, 32769)), daemon.Kernel.Dump());
        Assert.Equal(revision, pipeline.Feed.Latest!.Snapshot.Revision);
        Assert.Equal(2, pipeline.Feed.Latest.Snapshot.Views.Count);
    }
}
