using System.Collections.Immutable;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Tests.Labels;
using GorbLink.Ipvs;

namespace GorbLink.Core.Tests.Desired;

public sealed class DesiredStateBuilderTests
{
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("192.0.2.10"), 80);

    private static ContainerRecord Web80(string id, string name, ushort hostPort, DateTimeOffset created, string scheduler = "wrr") => new()
    {
        Id = id,
        Name = name,
        Image = "nginx:1.27",
        Created = created,
        Labels = ImmutableDictionary<string, string>.Empty
            .Add("gorb.enable", "true").Add("gorb.service", "web").Add("gorb.scheduler", scheduler),
        ExposedPorts = ["80/tcp"],
        PublishedPorts = [new PortBinding(80, "tcp", IPAddress.Any, hostPort)],
    };

    private static string Holder(DesiredState state) => state.ServiceInfo[Web].HolderName;

    [Theory]
    [MemberData(nameof(LabelScenarioTests.Scenarios), MemberType = typeof(LabelScenarioTests))]
    public void AnyOrderOfContainersGivesTheSameState(string name)
    {
        var scenario = LabelScenario.Load(name);
        var previous = scenario.PreviousContainers is { } before ? new DesiredStateBuilder(scenario.Options).Build(before) : null;
        var expected = new DesiredStateBuilder(scenario.Options).Build(scenario.Containers, previous);
        var random = new Random(42);
        for (var i = 0; i < 8; i++)
        {
            var shuffled = scenario.Containers.ToArray();
            random.Shuffle(shuffled);
            var actual = new DesiredStateBuilder(scenario.Options).Build(shuffled, previous);
            Assert.Equal(LabelScenario.Render(LabelScenario.ToJson(expected)), LabelScenario.Render(LabelScenario.ToJson(actual)));
            Assert.Equal(LabelScenario.ErrorLines(expected), LabelScenario.ErrorLines(actual));
        }
    }

    [Fact]
    public void TheContainerThatHadTheServiceKeepsItThroughItsWholeLife()
    {
        var builder = new DesiredStateBuilder(LabelScenario.DefaultOptions);
        var t1 = DateTimeOffset.Parse("2024-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var older = Web80("aaaa00000001", "older", 32768, t1, scheduler: "rr");
        var holder = Web80("bbbb00000002", "holder", 32769, t1.AddDays(1));

        var s1 = builder.Build([holder]);
        Assert.Equal("holder", Holder(s1));

        // An older container with other settings arrives: it would win on age, but the holder keeps the service.
        var s2 = builder.Build([older, holder], s1);
        Assert.Equal("holder", Holder(s2));
        var conflict = Assert.Single(s2.Conflicts);
        Assert.Equal(ConflictKind.ServiceSettings, conflict.Kind);
        Assert.Equal(("older", "holder"), (conflict.ContainerName, conflict.HolderName));
        Assert.False(s2.Contains(older.Id));

        // Recomputing again and again changes nothing.
        var s3 = builder.Build([holder, older], s2);
        Assert.Equal("holder", Holder(s3));
        Assert.Single(s3.Conflicts);

        // The holder drains: it still holds the service, with weight 0.
        var stopping = holder with { Lifecycle = ContainerLifecycle.Stopping };
        var s4 = builder.Build([older, stopping], s3);
        Assert.Equal("holder", Holder(s4));
        Assert.True(s4.IsDraining(Web, new DestinationKey(IPAddress.Parse("192.0.2.10"), 32769)));
        Assert.Equal(0, Assert.Single(s4.Find(Web)!.Destinations).Spec.Weight);

        // The holder is gone: the refused container takes over.
        var s5 = builder.Build([older, holder with { Lifecycle = ContainerLifecycle.Exited }], s4);
        Assert.Equal("older", Holder(s5));
        Assert.Equal("rr", s5.Find(Web)!.Service.Spec.Scheduler);
        Assert.Empty(s5.Conflicts);

        // The old holder comes back: now it is the newcomer, and it is refused.
        var s6 = builder.Build([older, holder], s5);
        Assert.Equal("older", Holder(s6));
        Assert.Equal("holder", Assert.Single(s6.Conflicts).ContainerName);
    }

    [Fact]
    public void ParseResultsAreReusedOnlyForTheSameRecord()
    {
        var builder = new DesiredStateBuilder(LabelScenario.DefaultOptions);
        var c = Web80("aaaa00000001", "web-1", 32768, DateTimeOffset.UnixEpoch);
        Assert.Equal(100, Assert.Single(builder.Build([c]).Services).Destinations[0].Spec.Weight);

        // Same id, new record (as after a re-inspect): the labels are read again.
        var changed = c with { Labels = c.Labels.SetItem("gorb.weight", "5") };
        Assert.Equal(5, Assert.Single(builder.Build([changed]).Services).Destinations[0].Spec.Weight);

        var broken = c with { Labels = c.Labels.SetItem("gorb.weight", "x") };
        var state = builder.Build([broken]);
        Assert.Empty(state.Services);
        Assert.Equal("gorb.weight", Assert.Single(state.Errors).Label);
    }

    [Fact]
    public void OwnersTellWhichContainerEachDestinationBelongsTo()
    {
        var builder = new DesiredStateBuilder(LabelScenario.DefaultOptions);
        var healthy = Web80("aaaa00000001", "web-1", 32768, DateTimeOffset.UnixEpoch) with { Health = ContainerHealth.Healthy };
        var paused = Web80("aaaa00000002", "web-2", 32769, DateTimeOffset.UnixEpoch) with { Lifecycle = ContainerLifecycle.Paused };
        var starting = Web80("aaaa00000003", "web-3", 32770, DateTimeOffset.UnixEpoch) with { Health = ContainerHealth.Starting };

        var state = builder.Build(new ContainerSnapshot(7, new[] { healthy, paused, starting }.ToImmutableDictionary(c => c.Id)));

        var service = Assert.Single(state.Services);
        Assert.Equal(Web, service.Key);
        Assert.Same(service, state.Find(Web));
        Assert.Equal(new ServiceInfo("web", healthy.Id, "web-1") { ContainerPort = 80, NamedByLabel = true, HolderImage = "nginx:1.27" }, state.ServiceInfo[Web]);
        Assert.Equal(2, service.Destinations.Count);

        var first = state.OwnerOf(Web, service.Destinations[0].Key)!;
        Assert.Equal((healthy.Id, "web-1", ContainerHealth.Healthy, ContainerLifecycle.Running, false),
            (first.ContainerId, first.ContainerName, first.Health, first.Lifecycle, first.Draining));
        var second = state.OwnerOf(Web, service.Destinations[1].Key)!;
        Assert.Equal((paused.Id, ContainerLifecycle.Paused, true), (second.ContainerId, second.Lifecycle, second.Draining));
        Assert.Equal(0, service.Destinations[1].Spec.Weight);

        Assert.True(state.Contains(healthy.Id));
        Assert.True(state.Contains(paused.Id));
        Assert.False(state.Contains(starting.Id));
        Assert.Null(state.OwnerOf(Web, new DestinationKey(IPAddress.Parse("192.0.2.10"), 32770)));
    }

    [Fact]
    public void EmptyStateHasNothing()
    {
        var state = new DesiredStateBuilder(LabelScenario.DefaultOptions).Build([]);
        Assert.Empty(state.Services);
        Assert.Empty(state.Errors);
        Assert.Empty(state.Conflicts);
        Assert.Empty(DesiredState.Empty.Owners);
        Assert.False(DesiredState.Empty.Contains("x"));
    }

    [Fact]
    public void KeyOrderIsNumericAndPutsIPv4First()
    {
        VirtualServiceKey K(string proto, string address, ushort port)
        {
            Assert.True(IpvsNames.TryParseProtocol(proto, out var p));
            return VirtualServiceKey.For(p, IPAddress.Parse(address), port);
        }
        var sorted = new[]
        {
            VirtualServiceKey.ForFirewallMark(System.Net.Sockets.AddressFamily.InterNetwork, 5),
            K("tcp", "2001:db8::1", 80),
            K("udp", "10.0.0.10", 53),
            K("tcp", "10.0.0.2", 443),
            K("tcp", "10.0.0.2", 80),
            K("udp", "10.0.0.2", 80),
        }.Order(KeyOrder.Instance).Select(k => k.ToString());

        Assert.Equal(
            ["tcp 10.0.0.2:80", "udp 10.0.0.2:80", "tcp 10.0.0.2:443", "udp 10.0.0.10:53", "fwmark 5 (inet)", "tcp [2001:db8::1]:80"],
            sorted);

        var destinations = new[]
        {
            new DestinationKey(IPAddress.Parse("2001:db8::1"), 1),
            new DestinationKey(IPAddress.Parse("10.0.0.10"), 1),
            new DestinationKey(IPAddress.Parse("10.0.0.9"), 2),
            new DestinationKey(IPAddress.Parse("10.0.0.9"), 1),
        }.Order(KeyOrder.Instance).Select(k => k.ToString());
        Assert.Equal(["10.0.0.9:1", "10.0.0.9:2", "10.0.0.10:1", "[2001:db8::1]:1"], destinations);
    }
}
