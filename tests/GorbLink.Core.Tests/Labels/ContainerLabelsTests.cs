using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Containers;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;

namespace GorbLink.Core.Tests.Labels;

public sealed class ContainerLabelsTests
{
    private static ContainerRecord Container(params (string Key, string Value)[] labels) => new()
    {
        Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        Name = "web-1",
        Image = "nginx:1.27",
        Labels = labels.ToImmutableDictionary(l => l.Key, l => l.Value),
        ExposedPorts = ["80/tcp", "53/udp"],
        PublishedPorts =
        [
            new PortBinding(80, "tcp", IPAddress.Any, 32768),
            new PortBinding(80, "tcp", IPAddress.IPv6Any, 32768),
            new PortBinding(53, "udp", IPAddress.Any, 32769),
        ],
        Networks = [new ContainerNetwork("bridge", IPAddress.Parse("172.17.0.2"), null)],
    };

    [Theory]
    [InlineData("nginx", "nginx")]
    [InlineData("nginx:1.27", "nginx")]
    [InlineData("team/app:latest", "team/app")]
    [InlineData("registry.example.com:5000/team/app", "registry.example.com:5000/team/app")]
    [InlineData("registry.example.com:5000/team/app:1.2", "registry.example.com:5000/team/app")]
    [InlineData("team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "team/app")]
    [InlineData("localhost:5000/app:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "localhost:5000/app")]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", null)]
    [InlineData("", null)]
    public void ImageRepositoryDropsTagAndDigest(string image, string? expected) =>
        Assert.Equal(expected, ContainerLabels.ImageRepository(image));

    [Fact]
    public void ErrorLineNamesContainerLabelAndValue()
    {
        var result = ContainerLabels.Parse(Container(("gorb.enable", "true"), ("gorb.scheduler", "xyz")), LabelScenario.DefaultOptions);

        Assert.Null(result.Intent);
        Assert.Equal(
            "container web-1 (0123456789ab): label gorb.scheduler=\"xyz\": unknown scheduler (known: rr, wrr, lc, wlc, fo, ovf, lblc, lblcr, dh, sh, mh, sed, nq, twos)",
            result.Error!.Message);
        Assert.Equal("gorb.scheduler", result.Error.Label);
        Assert.Equal("xyz", result.Error.Value);
    }

    [Fact]
    public void ErrorLineUsesTheConfiguredPrefix()
    {
        var options = LabelScenario.DefaultOptions with { Prefix = "lb" };
        var result = ContainerLabels.Parse(Container(("lb.enable", "true"), ("lb.weight", "many")), options);

        Assert.StartsWith("container web-1 (0123456789ab): label lb.weight=\"many\": ", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IntentCarriesEveryLabel()
    {
        var result = ContainerLabels.Parse(Container(
            ("gorb.enable", "true"), ("gorb.service", "dns"), ("gorb.vip", "10.9.0.1"), ("gorb.ports", "5353:53/udp"),
            ("gorb.scheduler", "sh"), ("gorb.flags", "sh-port,one-packet"), ("gorb.persistence", "60"),
            ("gorb.forward", "nat"), ("gorb.weight", "7"), ("gorb.backend", "container"), ("gorb.network", "bridge")),
            LabelScenario.DefaultOptions);

        var intent = Assert.IsType<ContainerIntent>(result.Intent);
        Assert.Equal("dns", intent.ServiceName);
        Assert.Equal(IPAddress.Parse("10.9.0.1"), intent.Vip);
        Assert.Equal([new PortMapping(5353, 53, IpvsProtocol.Udp)], intent.Ports);
        Assert.Equal("sh", intent.Scheduler);
        Assert.Equal(ServiceFlags.Sched2 | ServiceFlags.OnePacket, intent.Flags);
        Assert.Equal(60u, intent.Persistence);
        Assert.Equal(ForwardMethod.Nat, intent.Forward);
        Assert.Equal(7, intent.Weight);
        Assert.Equal(BackendMode.Container, intent.Backend);
        Assert.Equal("bridge", intent.Network);
        var endpoint = Assert.Single(intent.Endpoints);
        Assert.Equal(VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.9.0.1"), 5353), endpoint.Service);
        Assert.Equal(new DestinationKey(IPAddress.Parse("172.17.0.2"), 53), endpoint.Destination);
    }

    [Fact]
    public void DefaultsFollowTheLabelTable()
    {
        var intent = ContainerLabels.Parse(Container(("gorb.enable", "true")), LabelScenario.DefaultOptions).Intent!;

        Assert.Equal("nginx", intent.ServiceName);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), intent.Vip);
        Assert.Equal([new PortMapping(53, 53, IpvsProtocol.Udp), new PortMapping(80, 80, IpvsProtocol.Tcp)], intent.Ports);
        Assert.Equal("wrr", intent.Scheduler);
        Assert.Equal(ServiceFlags.None, intent.Flags);
        Assert.Equal(0u, intent.Persistence);
        Assert.Equal(ForwardMethod.Nat, intent.Forward);
        Assert.Equal(100, intent.Weight);
        Assert.Equal(BackendMode.Published, intent.Backend);
        Assert.Null(intent.Network);
        // The :: binding of 80/tcp is not an IPv4 destination: one destination per port, no duplicate.
        Assert.Equal(
            ["192.0.2.10:32769", "192.0.2.10:32768"],
            intent.Endpoints.Select(e => e.Destination.ToString()));
    }

    [Fact]
    public void NotOptedInIsIgnoredNotAnError()
    {
        var result = ContainerLabels.Parse(Container(("gorb.weight", "bogus")), LabelScenario.DefaultOptions);
        Assert.True(result.IsIgnored);

        var optedOut = ContainerLabels.Parse(Container(("gorb.enable", "false"), ("gorb.weight", "bogus")),
            LabelScenario.DefaultOptions with { ExposeByDefault = true });
        Assert.True(optedOut.IsIgnored);
    }

    [Fact]
    public void InterfaceAddressesChooseDefaultVipAndAnyReplacements()
    {
        var options = LabelOptions.ForInterface(
            [IPAddress.Parse("fe80::1"), IPAddress.Parse("2001:db8::1"), IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2")]);

        Assert.Equal(IPAddress.Parse("192.0.2.1"), options.EffectiveDefaultVip);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), options.HostAddress(AddressFamily.InterNetwork));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), options.HostAddress(AddressFamily.InterNetworkV6));
        Assert.Equal(IPAddress.Parse("198.51.100.1"), (options with { DefaultVip = IPAddress.Parse("198.51.100.1") }).EffectiveDefaultVip);
        Assert.Null(LabelOptions.ForInterface([IPAddress.Parse("fe80::1")]).HostAddress(AddressFamily.InterNetworkV6));
        Assert.Null(new LabelOptions().EffectiveDefaultVip);
    }
}
