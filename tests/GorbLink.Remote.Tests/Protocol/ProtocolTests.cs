using System.Collections.Immutable;
using System.Net;
using System.Text;
using System.Text.Json;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;
using GorbLink.Remote.Client;
using GorbLink.Remote.Protocol;
using GorbLink.Remote.Tests.Support;

namespace GorbLink.Remote.Tests.Protocol;

/// <summary>The ID scheme, the wire JSON GorbLink sends, -r parsing and the mapping from the desired state.</summary>
public sealed class ProtocolTests
{
    [Theory]
    [InlineData("nginx", 80, IpvsProtocol.Tcp, "nginx-80-tcp")]
    [InlineData("sonatype/nexus", 8081, IpvsProtocol.Tcp, "sonatype-nexus-8081-tcp")]
    [InlineData("registry:5000/team/app", 53, IpvsProtocol.Udp, "registry-5000-team-app-53-udp")]
    public void ServiceIdsFollowGorbDockerLink(string name, ushort port, IpvsProtocol protocol, string expected) =>
        Assert.Equal(expected, GorbIds.ServiceId(name, port, protocol));

    [Theory]
    [InlineData("/serene_goldstine", 32768, "serene_goldstine-32768-tcp")]
    [InlineData("serene_goldstine", 32768, "serene_goldstine-32768-tcp")]
    [InlineData("/swarm-node-2/motd", 32768, "swarm-node-2-motd-32768-tcp")]
    public void BackendIdsFollowGorbDockerLink(string container, ushort port, string expected) =>
        Assert.Equal(expected, GorbIds.BackendId(container, port, IpvsProtocol.Tcp));

    [Fact]
    public void HealthCheckArgsAreSentAsJsonStrings()
    {
        var options = new GorbBackendOptions { Host = "10.0.0.5", Port = 8080, Pulse = GorbPulse.Http("/health", expect: 204, port: 9000) };

        var json = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(options, GorbJsonContext.Default.GorbBackendOptions));

        using var document = JsonDocument.Parse(json);
        var args = document.RootElement.GetProperty("pulse").GetProperty("args");
        Assert.All(args.EnumerateObject(), a => Assert.Equal(JsonValueKind.String, a.Value.ValueKind));
        Assert.Equal("204", args.GetProperty("expect").GetString());
        Assert.Equal("9000", args.GetProperty("port").GetString());
        Assert.DoesNotContain("vsid", json, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceOptionsSerializeWithGorbsFieldNames()
    {
        var json = JsonSerializer.Serialize(new GorbServiceOptions { Host = "", Port = 80, Protocol = "tcp", Method = "wrr", Flags = "" },
            GorbJsonContext.Default.GorbServiceOptions);

        using var document = JsonDocument.Parse(json);
        Assert.Equal(["flags", "host", "method", "persistent", "port", "protocol"], document.RootElement.EnumerateObject().Select(p => p.Name).Order());
    }

    [Theory]
    [InlineData("gorb.example:4672", "http://gorb.example:4672/", "remote-gorb.example_4672.json")]
    [InlineData("http://10.0.0.1:4672/", "http://10.0.0.1:4672/", "remote-10.0.0.1_4672.json")]
    [InlineData("https://lb.example/gorb", "https://lb.example/gorb/", "remote-https-lb.example_443-gorb.json")]
    [InlineData("[fd00::1]:4672", "http://[fd00::1]:4672/", "remote-fd00__1_4672.json")]
    public void RemoteEndpointsParseWithHttpAssumed(string text, string url, string file)
    {
        var endpoint = RemoteEndpoint.Parse(text);
        Assert.Equal(url, endpoint.BaseAddress.ToString());
        Assert.Equal(file, endpoint.FileName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ftp://host:21")]
    [InlineData("http://host:4672/?x=1")]
    public void BadRemoteEndpointsAreRefusedNamingTheOption(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => RemoteEndpoint.Parse(text));
        Assert.StartsWith("-r/--remote", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1m", 60)]
    [InlineData("30s", 30)]
    [InlineData("2hours", 7200)]
    [InlineData("+5sec", 5)]
    [InlineData("", 60)]
    public void IntervalsUseGorbsSyntax(string text, int seconds)
    {
        Assert.True(GorbWords.TryParseInterval(text, out var interval, out _));
        Assert.Equal(TimeSpan.FromSeconds(seconds), interval);
    }

    [Theory]
    [InlineData("1.5m")]
    [InlineData("10")]
    [InlineData("-1s")]
    [InlineData("0m")]
    [InlineData("5 m")]
    public void BadIntervalsAreRefused(string text) => Assert.False(GorbWords.TryParseInterval(text, out _, out _));

    private static ContainerRecord Container(string name, ushort hostPort, string service, ushort port, ushort? virtualPort = null, string? vip = null,
        string? scheduler = null, string? flags = null, uint? persistence = null)
    {
        var labels = ImmutableDictionary<string, string>.Empty.Add("gorb.enable", "true").Add("gorb.service", service);
        if (virtualPort is { } v) labels = labels.Add("gorb.ports", $"{v}:{port}/tcp");
        if (vip is not null) labels = labels.Add("gorb.vip", vip);
        if (scheduler is not null) labels = labels.Add("gorb.scheduler", scheduler);
        if (flags is not null) labels = labels.Add("gorb.flags", flags);
        if (persistence is { } p) labels = labels.Add("gorb.persistence", p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new ContainerRecord
        {
            Id = name.PadRight(24, '0'),
            Name = name,
            Image = "x",
            Labels = labels,
            ExposedPorts = [$"{port}/tcp"],
            PublishedPorts = [new PortBinding(port, "tcp", IPAddress.Any, hostPort)],
        };
    }

    private static RemoteDesiredState Map(params ContainerRecord[] containers)
    {
        var labels = RemoteDesiredMapper.ForRemote(LabelOptions.ForInterface([AgentRig.HostAddress]));
        var desired = new DesiredStateBuilder(labels).Build(containers);
        return RemoteDesiredMapper.Map(1, desired);
    }

    [Fact]
    public void TheMappingUsesTheContainerPortInTheVsidAndTheDaemonsDefaultAddressWithoutAVipLabel()
    {
        var state = Map(Container("web-1", 32768, "web", 80, virtualPort: 8080), Container("api-1", 40000, "api", 9000, vip: "10.1.0.9",
            scheduler: "sh", flags: "sh-port", persistence: 60));

        var web = state.Services.Single(s => s.Name == "web");
        Assert.Equal("web-80-tcp", web.Id);
        Assert.Equal("", web.Options.Host);
        Assert.Equal(8080, web.Options.Port);
        Assert.Equal("web-1-32768-tcp", Assert.Single(web.Backends).Id);
        Assert.Equal("10.0.0.5", web.Backends[0].Options.Host);
        Assert.Null(web.Backends[0].Options.Pulse);
        var api = state.Services.Single(s => s.Name == "api");
        Assert.Equal("10.1.0.9", api.Options.Host);
        Assert.Equal("sh", api.Options.Method);
        Assert.Equal("sh-port", api.Options.Flags);
        Assert.True(api.Options.Persistent);
        Assert.Equal(60, api.Options.PersistenceTimeout);
        Assert.Empty(state.Problems);
    }

    [Fact]
    public void TwoServicesThatWouldShareAVsidAreReportedAndOnlyTheFirstIsSent()
    {
        var state = Map(Container("a", 32768, "web", 80, virtualPort: 8080), Container("b", 32769, "web", 80, virtualPort: 8081));

        Assert.Single(state.Services);
        Assert.Contains("web-80-tcp", Assert.Single(state.Problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nginx", "nginx-80-tcp")]
    [InlineData("nginx:latest", "nginx-latest-80-tcp")]
    [InlineData("sonatype/nexus", "sonatype-nexus-80-tcp")]
    [InlineData("registry:5000/team/app:1.2", "registry-5000-team-app-1.2-80-tcp")]
    public void WithoutAServiceLabelTheVsidIsMadeFromTheImageAsGorbDockerLinkMakesIt(string image, string vsId)
    {
        var unlabelled = Container("web-1", 32768, "unused", 80) with
        {
            Image = image,
            Labels = ImmutableDictionary<string, string>.Empty.Add("gorb.enable", "true"),
        };
        Assert.Equal(vsId, Assert.Single(Map(unlabelled).Services).Id);
        // A service label names it, whatever the image.
        Assert.Equal("web-80-tcp", Assert.Single(Map(Container("web-1", 32768, "web", 80) with { Image = image }).Services).Id);
    }

    [Fact]
    public void OnePacketIsNotSentToAGorbDaemonAndIsReported()
    {
        var state = Map(Container("dns-1", 32768, "dns", 53, scheduler: "sh", flags: "sh-port,one-packet"));

        var dns = Assert.Single(state.Services);
        Assert.Equal("sh-port", dns.Options.Flags);
        Assert.False(dns.Flags.HasFlag(GorbLink.Ipvs.ServiceFlags.OnePacket));
        Assert.Contains("no one-packet flag", Assert.Single(state.Problems), StringComparison.Ordinal);
        // What the daemon then reports is what was wanted: no endless fix.
        Assert.Null(RemotePlanner.ServiceDifference(dns.Options, dns));
    }

    [Fact]
    public void AServiceDifferenceIsDescribedInWords()
    {
        var state = Map(Container("web-1", 32768, "web", 80));
        var daemon = new GorbServiceOptions { Host = "", Port = 80, Protocol = "TCP", Method = "rr", Flags = "flag-1", Persistent = false };

        var difference = RemotePlanner.ServiceDifference(daemon, state.Services[0]);

        Assert.Equal("scheduler rr, wanted wrr; flags \"flag-1\", wanted \"\"", difference);
        Assert.Null(RemotePlanner.ServiceDifference(new GorbServiceOptions { Port = 80, Protocol = "tcp", Method = "" }, state.Services[0]));
    }
}
