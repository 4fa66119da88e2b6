using System.Collections.Immutable;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using GorbLink.Core.Reconcile;
using GorbLink.Core.Vips;
using GorbLink.Docker;
using GorbLink.Ipvs;
using GorbLink.Metrics;

namespace GorbLink.Tests.Metrics;

/// <summary>An agent as /metrics and /healthz see it, set by each test.</summary>
internal sealed class FakeProbe : IAgentProbe
{
    public static readonly IPAddress Host = IPAddress.Parse("192.0.2.10");
    public static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    public static readonly VirtualServiceKey Foreign = VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.9.9.9"), 53);

    public DockerWatcherStatus Docker { get; set; } = new() { Endpoint = new Uri("unix:///var/run/docker.sock"), Connected = true, EngineVersion = "26.1.5" };
    public SinkCounters Reconcile { get; set; } = new() { Passes = 3, LastDuration = TimeSpan.FromMilliseconds(4) };
    public int PendingDrains { get; set; }
    public ReconcileLoopState LoopState { get; set; } = ReconcileLoopState.Idle;
    public bool FirstPassDone { get; set; } = true;
    public DesiredState? Desired { get; set; } = DesiredWithWeb();
    public IReadOnlyList<VirtualServiceKey> Owned { get; set; } = [Web];
    public VipManager? Vips { get; set; }
    public DateTimeOffset StartedAt { get; set; } = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    public Exception? KernelFailure { get; set; }
    public IReadOnlyList<VirtualServiceTable> Kernel { get; set; } = KernelWithWebAndForeign();

    public Task<IReadOnlyList<VirtualServiceTable>> ReadKernelAsync(CancellationToken cancellationToken) =>
        KernelFailure is { } e ? Task.FromException<IReadOnlyList<VirtualServiceTable>>(e) : Task.FromResult(Kernel);

    /// <summary>Container "web-1" publishing 80 on host port 32001, as service "web" on 10.0.0.1:80.</summary>
    public static DesiredState DesiredWithWeb()
    {
        var container = new ContainerRecord
        {
            Id = "a1b2c3d4e5f6a1b2c3d4e5f6",
            Name = "web-1",
            Image = "nginx:1.27",
            Labels = ImmutableDictionary<string, string>.Empty.Add("gorb.enable", "true").Add("gorb.service", "web").Add("gorb.vip", "10.0.0.1"),
            ExposedPorts = ["80/tcp"],
            PublishedPorts = [new PortBinding(80, "tcp", IPAddress.Any, 32001)],
        };
        return new DesiredStateBuilder(LabelOptions.ForInterface([Host])).Build([container], null);
    }

    public static IReadOnlyList<VirtualServiceTable> KernelWithWebAndForeign()
    {
        var stats = new IpvsStats { Connections = 12, InPackets = 100, OutPackets = 90, InBytes = 6400, OutBytes = 128000 };
        var destination = new DestinationStatus(new Destination(new DestinationKey(Host, 32001), new DestinationSpec { Weight = 100 }), 2, 5, 0,
            new IpvsStats { Connections = 12, InPackets = 100, OutPackets = 90, InBytes = 6400, OutBytes = 128000 });
        var draining = new DestinationStatus(new Destination(new DestinationKey(Host, 32002), new DestinationSpec { Weight = 0 }), 1, 0, 0, IpvsStats.Empty);
        return
        [
            new(new VirtualServiceStatus(new VirtualService(Web, VirtualServiceSpec.Default), stats), [destination, draining]),
            new(new VirtualServiceStatus(new VirtualService(Foreign, VirtualServiceSpec.Default), stats), []),
        ];
    }
}
