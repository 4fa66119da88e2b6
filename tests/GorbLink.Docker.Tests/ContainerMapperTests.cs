using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Docker.Engine;
using GorbLink.Docker.Tests.Support;
using PortBinding = GorbLink.Core.Containers.PortBinding;

namespace GorbLink.Docker.Tests;

/// <summary>Recorded inspect responses (testassets/inspect, API 1.45 from Engine 26.1.5, plus a synthetic 1.54 one) → ContainerRecord.</summary>
public sealed class ContainerMapperTests
{
    [Fact]
    public void RunningContainerWithPublishedExposedAndUdpPorts()
    {
        var r = ContainerMapper.Map(RecordedJson.Inspect("api1.45-running.json"));
        Assert.Equal("85e691f9c24bfe0bd258b33ed9e18b9d6879136e7a1dc3af5c98ec86435643b5", r.Id);
        Assert.Equal("rec-running", r.Name);
        Assert.Equal("gorblink-test:latest", r.Image);
        Assert.Equal(ContainerLifecycle.Running, r.Lifecycle);
        Assert.Equal(ContainerHealth.None, r.Health);
        Assert.Equal("true", r.Labels["gorb.enable"]);
        Assert.Equal(["53/udp", "8080/tcp", "9000/tcp"], r.ExposedPorts);
        // Both the 0.0.0.0 and the :: binding of each -p are kept; 9000 is exposed but not published (null entry).
        Assert.Equal(
        [
            new PortBinding(53, "udp", IPAddress.Any, 5353),
            new PortBinding(53, "udp", IPAddress.IPv6Any, 5353),
            new PortBinding(8080, "tcp", IPAddress.Any, 32768),
            new PortBinding(8080, "tcp", IPAddress.IPv6Any, 32768),
        ], r.PublishedPorts);
        var bridge = Assert.Single(r.Networks);
        Assert.Equal(new ContainerNetwork("bridge", IPAddress.Parse("172.17.0.2"), null), bridge);
        Assert.Equal("bridge", r.NetworkMode);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 1, 34, 0, TimeSpan.Zero).AddTicks(2_686_131), r.Created);
        Assert.Equal(TimeSpan.Zero, r.Created.Offset);
    }

    [Fact]
    public void Api154ShapeWithoutLegacyFieldsEmptyHostIpAndIpv6()
    {
        var inspect = RecordedJson.Inspect("api1.54-synthetic-ipv6.json");
        var r = ContainerMapper.Map(inspect);
        Assert.Equal("rec-api154", r.Name);
        // HostIp "" means all IPv4 addresses, the same as 0.0.0.0.
        Assert.Contains(new PortBinding(8080, "tcp", IPAddress.Any, 32768), r.PublishedPorts);
        Assert.Contains(new PortBinding(8080, "tcp", IPAddress.IPv6Any, 32768), r.PublishedPorts);
        Assert.Equal(new ContainerNetwork("bridge", IPAddress.Parse("172.17.0.2"), IPAddress.Parse("fd00:dead:beef::2")), Assert.Single(r.Networks));
        Assert.Equal("bridge", r.NetworkMode); // "default" is the default bridge
    }

    [Fact]
    public void TwoNetworksSortedByNameAndUserNetworkMode()
    {
        var r = ContainerMapper.Map(RecordedJson.Inspect("api1.45-multinet.json"));
        Assert.Equal(["bridge", "rec-net"], r.Networks.Select(n => n.Name));
        Assert.All(r.Networks, n => Assert.NotNull(n.IPv4Address));
        Assert.Equal("rec-net", r.NetworkMode);
        Assert.Empty(r.PublishedPorts);
    }

    [Fact]
    public void HostNetworkHasNoAddressesAndNoPorts()
    {
        var r = ContainerMapper.Map(RecordedJson.Inspect("api1.45-host.json"));
        Assert.Equal("host", r.NetworkMode);
        Assert.Equal(new ContainerNetwork("host", null, null), Assert.Single(r.Networks));
        Assert.Empty(r.PublishedPorts);
    }

    [Theory]
    [InlineData("api1.45-running.json", ContainerLifecycle.Running, ContainerHealth.None)]
    [InlineData("api1.45-paused.json", ContainerLifecycle.Paused, ContainerHealth.None)]
    [InlineData("api1.45-exited.json", ContainerLifecycle.Exited, ContainerHealth.None)]
    [InlineData("api1.45-created.json", ContainerLifecycle.Created, ContainerHealth.None)]
    [InlineData("api1.45-restarting.json", ContainerLifecycle.Restarting, ContainerHealth.None)]
    [InlineData("api1.45-health.json", ContainerLifecycle.Running, ContainerHealth.Healthy)]
    [InlineData("api1.45-unhealthy.json", ContainerLifecycle.Running, ContainerHealth.Unhealthy)]
    public void LifecycleAndHealthFromState(string file, ContainerLifecycle lifecycle, ContainerHealth health)
    {
        var r = ContainerMapper.Map(RecordedJson.Inspect(file));
        Assert.Equal(lifecycle, r.Lifecycle);
        Assert.Equal(health, r.Health);
    }

    [Theory]
    [InlineData(true, false, false, false, "", ContainerLifecycle.Running)]
    [InlineData(true, true, false, false, "", ContainerLifecycle.Paused)] // paused containers also have Running=true
    [InlineData(true, false, true, false, "", ContainerLifecycle.Restarting)] // so do restarting ones
    [InlineData(false, false, false, true, "", ContainerLifecycle.Dead)]
    [InlineData(false, false, false, false, "2026-01-01T00:00:00Z", ContainerLifecycle.Exited)]
    [InlineData(false, false, false, false, "0001-01-01T00:00:00Z", ContainerLifecycle.Created)]
    public void LifecycleFromBooleansWhenStatusIsMissing(bool running, bool paused, bool restarting, bool dead, string startedAt,
        ContainerLifecycle expected)
    {
        var state = new InspectState { Running = running, Paused = paused, Restarting = restarting, Dead = dead, StartedAt = startedAt };
        Assert.Equal(expected, ContainerMapper.MapLifecycle(state));
    }

    [Fact]
    public void RemovingIsDead()
    {
        Assert.Equal(ContainerLifecycle.Dead, ContainerMapper.MapLifecycle(new InspectState { Status = "removing", Running = true }));
    }

    [Fact]
    public void UnchangedInspectGivesAnEqualRecord()
    {
        var a = ContainerMapper.Map(RecordedJson.Inspect("api1.45-running.json"));
        var b = ContainerMapper.Map(RecordedJson.Inspect("api1.45-running.json"));
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { Labels = b.Labels.SetItem("x", "y") });
        Assert.NotEqual(a, b with { PublishedPorts = b.PublishedPorts.RemoveAt(0) });

        var store = new ContainerStore();
        store.ReplaceAll([a]);
        var revision = store.Revision;
        store.ReplaceAll([b]);
        store.Upsert(b);
        Assert.Equal(revision, store.Revision);
    }

    [Fact]
    public void PublishedPortEdgeCases()
    {
        var ports = new Dictionary<string, List<InspectPortBinding>?>
        {
            ["80/tcp"] = [new() { HostIp = "", HostPort = "8080" }, new() { HostIp = "0.0.0.0", HostPort = "8080" }],
            ["81/tcp"] = null,
            ["82/sctp"] = [new() { HostIp = "127.0.0.1", HostPort = "9082" }],
            ["83"] = [new() { HostIp = "[::1]", HostPort = "9083" }],
            ["84/tcp"] = [new() { HostIp = "0.0.0.0", HostPort = "" }],
            ["bogus/tcp"] = [new() { HostIp = "0.0.0.0", HostPort = "1" }],
        };
        Assert.Equal(
        [
            new PortBinding(80, "tcp", IPAddress.Any, 8080), // "" and 0.0.0.0 are the same binding
            new PortBinding(82, "sctp", IPAddress.Loopback, 9082),
            new PortBinding(83, "tcp", IPAddress.IPv6Loopback, 9083),
        ], ContainerMapper.MapPublishedPorts(ports));
    }

    [Fact]
    public void MissingSectionsDoNotThrow()
    {
        var r = ContainerMapper.Map(new ContainerInspect { Id = "abc", Name = "/x" });
        Assert.Equal("x", r.Name);
        Assert.Equal(ContainerLifecycle.Dead, r.Lifecycle);
        Assert.Empty(r.Networks);
        Assert.Empty(r.PublishedPorts);
        Assert.Empty(r.Labels);
        Assert.Equal("bridge", r.NetworkMode);
    }

    // ---- event → lifecycle override (events and inspect race) ----

    private const long StartedNanos = 1_764_120_843_496_986_243;

    private static DockerEvent Event(string action, long nanos, string? signal = null)
    {
        var attributes = new Dictionary<string, string> { ["name"] = "x" };
        if (signal is not null) attributes["signal"] = signal;
        return new DockerEvent { Type = "container", Action = action, Actor = new DockerEventActor { Id = "abc", Attributes = attributes }, TimeNano = nanos };
    }

    [Theory]
    [InlineData("kill", "15", ContainerLifecycle.Running, ContainerLifecycle.Stopping)]
    [InlineData("kill", "9", ContainerLifecycle.Running, ContainerLifecycle.Stopping)]
    [InlineData("kill", "SIGINT", ContainerLifecycle.Running, ContainerLifecycle.Stopping)]
    [InlineData("kill", "1", ContainerLifecycle.Running, ContainerLifecycle.Running)] // docker kill -s HUP: a reload, not a stop
    [InlineData("kill", "10", ContainerLifecycle.Running, ContainerLifecycle.Running)]
    [InlineData("stop", null, ContainerLifecycle.Running, ContainerLifecycle.Stopping)]
    [InlineData("stop", null, ContainerLifecycle.Exited, ContainerLifecycle.Exited)]
    [InlineData("kill", "15", ContainerLifecycle.Exited, ContainerLifecycle.Exited)]
    [InlineData("die", null, ContainerLifecycle.Running, ContainerLifecycle.Exited)]
    [InlineData("die", null, ContainerLifecycle.Restarting, ContainerLifecycle.Restarting)]
    [InlineData("pause", null, ContainerLifecycle.Running, ContainerLifecycle.Paused)]
    [InlineData("unpause", null, ContainerLifecycle.Running, ContainerLifecycle.Running)]
    [InlineData("start", null, ContainerLifecycle.Running, ContainerLifecycle.Running)]
    [InlineData("health_status: healthy", null, ContainerLifecycle.Running, ContainerLifecycle.Running)]
    public void EventOverridesTheInspectedLifecycleOfTheSameRun(string action, string? signal, ContainerLifecycle inspected,
        ContainerLifecycle expected)
    {
        var evt = Event(action, StartedNanos + 5_000_000_000, signal);
        Assert.Equal(expected, ContainerMapper.ApplyEvent(inspected, evt, StartedNanos, stopSignal: null));
    }

    [Fact]
    public void AnEventOlderThanTheInspectedRunIsStale()
    {
        // die, then a restart-policy start: inspect already shows the new run, so the old die must not mark it Exited.
        var die = Event("die", StartedNanos - 100_000_000);
        Assert.Equal(ContainerLifecycle.Running, ContainerMapper.ApplyEvent(ContainerLifecycle.Running, die, StartedNanos, null));
        var kill = Event("kill", StartedNanos - 1, "15");
        Assert.Equal(ContainerLifecycle.Running, ContainerMapper.ApplyEvent(ContainerLifecycle.Running, kill, StartedNanos, null));
    }

    [Fact]
    public void TheContainersOwnStopSignalIsAStop()
    {
        var winch = Event("kill", StartedNanos + 1, "28");
        Assert.False(ContainerMapper.IsStopIntent(winch, null));
        Assert.True(ContainerMapper.IsStopIntent(winch, "SIGWINCH")); // e.g. httpd's graceful stop
        Assert.Equal(ContainerLifecycle.Stopping, ContainerMapper.ApplyEvent(ContainerLifecycle.Running, winch, StartedNanos, "SIGWINCH"));
    }

    [Fact]
    public void MapWithARecordedKillEvent()
    {
        var evt = RecordedJson.Event("""
            {"Type":"container","Action":"kill","Actor":{"ID":"85e691f9c24bfe0bd258b33ed9e18b9d6879136e7a1dc3af5c98ec86435643b5",
             "Attributes":{"image":"gorblink-test:latest","name":"rec-running","signal":"15"}},"scope":"local",
             "time":1795656870,"timeNano":1795656870123456789}
            """);
        Assert.Equal("kill", evt.Action);
        Assert.Equal(1795656870123456789, evt.TimeNano);
        var r = ContainerMapper.Map(RecordedJson.Inspect("api1.45-running.json"), evt);
        Assert.Equal(ContainerLifecycle.Stopping, r.Lifecycle);
    }

    [Theory]
    [InlineData("container", "start", "abc", "abc")]
    [InlineData("container", "health_status: unhealthy", "abc", "abc")]
    [InlineData("container", "exec_start: test -f /tmp/ok", "abc", null)]
    [InlineData("container", "exec_die", "abc", null)]
    [InlineData("container", "attach", "abc", null)]
    [InlineData("network", "connect", "netid", "ctr")]
    [InlineData("network", "disconnect", "netid", "ctr")]
    [InlineData("network", "create", "netid", null)]
    [InlineData("image", "pull", "img", null)]
    public void WhichEventsAreRelevant(string type, string action, string actorId, string? expected)
    {
        var evt = new DockerEvent
        {
            Type = type,
            Action = action,
            Actor = new DockerEventActor { Id = actorId, Attributes = new Dictionary<string, string> { ["container"] = "ctr" } },
        };
        Assert.Equal(expected, DockerWatcher.RelevantContainerId(evt));
    }

    /// <summary>`-p 1-n:1-n/udp` as inspect reports it: each port exposed, with a 0.0.0.0, a :: and a repeated binding.</summary>
    private static (Dictionary<string, EmptyObject> Exposed, Dictionary<string, List<InspectPortBinding>?> Ports) FullRange(int n)
    {
        var exposed = new Dictionary<string, EmptyObject>();
        var ports = new Dictionary<string, List<InspectPortBinding>?>();
        for (var p = n; p >= 1; p--)
        {
            var key = $"{p}/udp";
            exposed.Add(key, new EmptyObject());
            ports.Add(key,
            [
                new InspectPortBinding { HostIp = "0.0.0.0", HostPort = $"{p}" },
                new InspectPortBinding { HostIp = "::", HostPort = $"{p}" },
                new InspectPortBinding { HostIp = "0.0.0.0", HostPort = $"{p}" }, // a repeat merges
            ]);
        }
        return (exposed, ports);
    }

    /// <summary>`docker run -p 1-65535:1-65535/udp` (two bindings per port) maps every port, in order.</summary>
    [Fact]
    public void MappingEveryPortOfAFullRange()
    {
        var (exposed, ports) = FullRange(65535);

        var exposedPorts = ContainerMapper.MapExposedPorts(exposed);
        var published = ContainerMapper.MapPublishedPorts(ports);

        Assert.Equal(65535, exposedPorts.Length);
        Assert.Equal(["1/udp", "2/udp"], exposedPorts[..2]);
        Assert.Equal("65535/udp", exposedPorts[^1]);
        Assert.Equal(2 * 65535, published.Length);
        Assert.Equal(new PortBinding(1, "udp", IPAddress.Any, 1), published[0]);
        Assert.Equal(new PortBinding(65535, "udp", IPAddress.IPv6Any, 65535), published[^1]);
    }

    /// <summary>
    /// Mapping is linear in the number of ports: a list scan per binding once made it quadratic (1.2 s for 10000
    /// ports, x3.9 per doubling). Checked as allocated bytes per doubling, which no machine load changes (about 2x
    /// linear, 4x for work that copies per item); bench/GorbLink.Bench `ports` prints the times per doubling.
    /// </summary>
    [Fact]
    public void MappingDoublePortsAllocatesAboutDoubleNotFourTimes()
    {
        var ratio = LinearWork.DoublingRatio(n =>
        {
            var (exposed, ports) = FullRange(n);
            return () =>
            {
                ContainerMapper.MapExposedPorts(exposed);
                ContainerMapper.MapPublishedPorts(ports);
            };
        }, 16_384);
        Assert.True(ratio <= 2.5, $"32768 ports allocate {ratio:F2}x what 16384 do (linear: about 2)");
    }
}
