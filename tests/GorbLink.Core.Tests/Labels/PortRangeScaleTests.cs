using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;

namespace GorbLink.Core.Tests.Labels;

/// <summary>
/// Port ranges cost time linear in their size. `-p 1-65535` used to take 25 s to parse and `EXPOSE 1-65535` with a
/// ports label naming the same ports 63 s (quadratic list scans); the bound here is generous for a slow CI machine,
/// and still far below what a quadratic step needs. bench/GorbLink.Bench `ports` prints the figures per doubling.
/// </summary>
public sealed class PortRangeScaleTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private const int AllPorts = 65535;

    /// <summary>`docker run -p 1-65535:1-65535/udp`: one 0.0.0.0 and one :: binding per port, each port exposed.</summary>
    private static ContainerRecord PublishedRange(params (string Key, string Value)[] labels) => new()
    {
        Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        Name = "wide",
        Image = "nginx:1.27",
        Labels = labels.Prepend(("gorb.enable", "true")).ToImmutableDictionary(l => l.Item1, l => l.Item2),
        ExposedPorts = [.. Enumerable.Range(1, AllPorts).Select(p => $"{p}/udp")],
        PublishedPorts =
        [
            .. Enumerable.Range(1, AllPorts).SelectMany(p => new[]
            {
                new PortBinding((ushort)p, "udp", IPAddress.Any, (ushort)p),
                new PortBinding((ushort)p, "udp", IPAddress.IPv6Any, (ushort)p),
            }),
        ],
        Networks = [new ContainerNetwork("bridge", IPAddress.Parse("172.17.0.2"), null)],
    };

    private static string AllPortsLabel() => string.Join(',', Enumerable.Range(1, AllPorts).Select(p => $"{p}/udp"));

    private static ContainerIntent ParseWithin(ContainerRecord container)
    {
        var clock = Stopwatch.StartNew();
        var result = ContainerLabels.Parse(container, LabelScenario.DefaultOptions);
        clock.Stop();
        Assert.True(result.Intent is not null, result.Error?.Message);
        Assert.True(clock.Elapsed < Bound, $"parsing {AllPorts} ports took {clock.Elapsed.TotalSeconds:F1} s");
        return result.Intent!;
    }

    [Fact]
    public void EveryPublishedPortByDefault()
    {
        var intent = ParseWithin(PublishedRange());
        Assert.Equal(AllPorts, intent.Ports.Length);
        // The :: bindings have no global IPv6 interface address to stand for; the 0.0.0.0 ones give one endpoint each.
        Assert.Equal(AllPorts, intent.Endpoints.Length);
        Assert.Equal((ushort)65535, intent.Endpoints[^1].Destination.Port);
    }

    [Fact]
    public void EveryPublishedPortNamedByThePortsLabel()
    {
        var intent = ParseWithin(PublishedRange(("gorb.ports", AllPortsLabel())));
        Assert.Equal(AllPorts, intent.Endpoints.Length);
    }

    [Fact]
    public void EveryExposedPortNamedByThePortsLabelInContainerMode()
    {
        var container = PublishedRange(("gorb.backend", "container"), ("gorb.ports", AllPortsLabel())) with { PublishedPorts = [] };
        var intent = ParseWithin(container);
        Assert.Equal(AllPorts, intent.Endpoints.Length);
        Assert.All(intent.Endpoints, e => Assert.Equal(IPAddress.Parse("172.17.0.2"), e.Destination.Address));
    }

    [Fact]
    public void APortListedTwiceIsStillFoundAtTheEndOfALongList()
    {
        var container = PublishedRange(("gorb.ports", AllPortsLabel() + ",65535/udp"));
        var error = ContainerLabels.Parse(container, LabelScenario.DefaultOptions).Error;
        Assert.Equal("virtual port 65535/udp is listed twice", error?.Problem);
    }

    [Fact]
    public void DesiredStateOfEveryPortWithinTheBound()
    {
        var clock = Stopwatch.StartNew();
        var state = new DesiredStateBuilder(LabelScenario.DefaultOptions).Build([PublishedRange()]);
        clock.Stop();
        Assert.Empty(state.Errors);
        Assert.Equal(AllPorts, state.Services.Count);
        Assert.True(clock.Elapsed < Bound, $"building desired state of {AllPorts} ports took {clock.Elapsed.TotalSeconds:F1} s");
    }
}
