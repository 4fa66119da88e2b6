using System.Collections.Immutable;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;

namespace GorbLink.Core.Tests.Labels;

/// <summary>
/// Port ranges cost work linear in their size. `-p 1-65535` used to take 25 s to parse and `EXPOSE 1-65535` with a
/// ports label naming the same ports 63 s (quadratic list scans). The full range is read here; linearity is checked
/// as allocated bytes per doubling (<see cref="LinearWork"/>), which no machine load changes. The times per doubling
/// are printed by bench/GorbLink.Bench `ports`.
/// </summary>
public sealed class PortRangeScaleTests
{
    private const int AllPorts = 65535;
    /// <summary>Linear work allocates about 2x per doubling (a little more where a sort or a set grows); quadratic 4x.</summary>
    private const double MaxDoublingRatio = 2.5;

    /// <summary>`docker run -p 1-n:1-n/udp`: one 0.0.0.0 and one :: binding per port, each port exposed.</summary>
    private static ContainerRecord PublishedRange(params (string Key, string Value)[] labels) => PublishedRange(AllPorts, labels);

    private static ContainerRecord PublishedRange(int ports, params (string Key, string Value)[] labels) => new()
    {
        Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        Name = "wide",
        Image = "nginx:1.27",
        Labels = labels.Prepend(("gorb.enable", "true")).ToImmutableDictionary(l => l.Item1, l => l.Item2),
        ExposedPorts = [.. Enumerable.Range(1, ports).Select(p => $"{p}/udp")],
        PublishedPorts =
        [
            .. Enumerable.Range(1, ports).SelectMany(p => new[]
            {
                new PortBinding((ushort)p, "udp", IPAddress.Any, (ushort)p),
                new PortBinding((ushort)p, "udp", IPAddress.IPv6Any, (ushort)p),
            }),
        ],
        Networks = [new ContainerNetwork("bridge", IPAddress.Parse("172.17.0.2"), null)],
    };

    private static string AllPortsLabel(int ports = AllPorts) => string.Join(',', Enumerable.Range(1, ports).Select(p => $"{p}/udp"));

    private static ContainerIntent Parse(ContainerRecord container)
    {
        var result = ContainerLabels.Parse(container, LabelScenario.DefaultOptions);
        Assert.True(result.Intent is not null, result.Error?.Message);
        return result.Intent!;
    }

    /// <summary>The containers of one way to name n ports, as the tests below read the full range.</summary>
    private static readonly Dictionary<string, Func<int, ContainerRecord>> Ways = new()
    {
        ["published, default ports"] = n => PublishedRange(n),
        ["published, named by the ports label"] = n => PublishedRange(n, ("gorb.ports", AllPortsLabel(n))),
        ["exposed, named by the ports label, container mode"] = n =>
            PublishedRange(n, ("gorb.backend", "container"), ("gorb.ports", AllPortsLabel(n))) with { PublishedPorts = [] },
    };

    public static TheoryData<string> WaysToNamePorts => [.. Ways.Keys];

    [Theory]
    [MemberData(nameof(WaysToNamePorts))]
    public void ParsingDoublePortsAllocatesAboutDoubleNotFourTimes(string way)
    {
        var ratio = LinearWork.DoublingRatio(n =>
        {
            var container = Ways[way](n);
            return () => Parse(container);
        }, 16_384);
        Assert.True(ratio <= MaxDoublingRatio, $"{way}: 32768 ports allocate {ratio:F2}x what 16384 do (linear: about 2)");
    }

    [Fact]
    public void TheDesiredStateOfDoublePortsAllocatesAboutDoubleNotFourTimes()
    {
        var ratio = LinearWork.DoublingRatio(n =>
        {
            var container = PublishedRange(n);
            return () => new DesiredStateBuilder(LabelScenario.DefaultOptions).Build([container]);
        }, 16_384);
        Assert.True(ratio <= MaxDoublingRatio, $"the desired state of 32768 ports allocates {ratio:F2}x that of 16384 (linear: about 2)");
    }

    [Fact]
    public void EveryPublishedPortByDefault()
    {
        var intent = Parse(PublishedRange());
        Assert.Equal(AllPorts, intent.Ports.Length);
        // The :: bindings have no global IPv6 interface address to stand for; the 0.0.0.0 ones give one endpoint each.
        Assert.Equal(AllPorts, intent.Endpoints.Length);
        Assert.Equal((ushort)65535, intent.Endpoints[^1].Destination.Port);
    }

    [Fact]
    public void EveryPublishedPortNamedByThePortsLabel()
    {
        var intent = Parse(PublishedRange(("gorb.ports", AllPortsLabel())));
        Assert.Equal(AllPorts, intent.Endpoints.Length);
    }

    [Fact]
    public void EveryExposedPortNamedByThePortsLabelInContainerMode()
    {
        var container = PublishedRange(("gorb.backend", "container"), ("gorb.ports", AllPortsLabel())) with { PublishedPorts = [] };
        var intent = Parse(container);
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
    public void DesiredStateOfEveryPort()
    {
        var state = new DesiredStateBuilder(LabelScenario.DefaultOptions).Build([PublishedRange()]);
        Assert.Empty(state.Errors);
        Assert.Equal(AllPorts, state.Services.Count);
    }
}
