using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using GorbLink.Core.Ownership;
using GorbLink.Ipvs;

namespace GorbLink.Core.Tests.Ownership;

public sealed class OwnershipStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gorblink-own-" + Guid.NewGuid().ToString("N"));

    private string StatePath => Path.Combine(_directory, "sub", "state.json");

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private OwnershipStore Store(string prefix = "gorb") => new(new OwnershipOptions { Path = StatePath, LabelPrefix = prefix, AgentVersion = "1.2.3" });

    private static readonly VirtualServiceKey Tcp4 = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly VirtualServiceKey Udp6 = VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("2001:db8::1"), 53);
    private static readonly VirtualServiceKey Mark = VirtualServiceKey.ForFirewallMark(AddressFamily.InterNetworkV6, 7);

    private static OwnedTable Sample() => OwnedTable.Create(
    [
        new(Tcp4, [new DestinationKey(IPAddress.Parse("192.0.2.10"), 32001), new DestinationKey(IPAddress.Parse("192.0.2.10"), 32002)]),
        new(Udp6, [new DestinationKey(IPAddress.Parse("2001:db8::10"), 5353)]),
        new(Mark, []),
    ]);

    [Fact]
    public void AMissingFileMeansNothingIsOwnedAndConstructionTouchesNothing()
    {
        var store = Store();
        Assert.False(Directory.Exists(_directory));
        Assert.True(store.Load().IsEmpty);
        Assert.Null(store.LoadedFile);
        Assert.False(File.Exists(StatePath));
    }

    [Fact]
    public void WhatIsSavedLoadsBackAndTheFileDescribesItself()
    {
        var store = Store(prefix: "lb");
        store.Load();
        store.Save(Sample());

        var loaded = Store().Load();
        Assert.Equal(Sample(), loaded);
        Assert.True(loaded.Owns(Udp6, new DestinationKey(IPAddress.Parse("2001:db8::10"), 5353)));
        Assert.True(loaded.Owns(Mark));

        var json = JsonNode.Parse(File.ReadAllText(StatePath))!;
        Assert.Equal(1, (int)json["version"]!);
        Assert.Equal("gorblink", (string)json["agent"]!);
        Assert.Equal("lb", (string)json["labelPrefix"]!);
        Assert.Equal("1.2.3", (string)json["agentVersion"]!);
        Assert.Equal(3, json["services"]!.AsArray().Count);
        Assert.Equal("tcp", (string)json["services"]![0]!["protocol"]!);
        Assert.Equal(7, (int)json["services"]![2]!["fwmark"]!);
        Assert.Equal("inet6", (string)json["services"]![2]!["family"]!);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(StatePath)!)); // no temporary file left behind
        var reloaded = Store();
        reloaded.Load();
        Assert.Equal("lb", reloaded.LoadedFile!.LabelPrefix);
    }

    [Fact]
    public void SavingReplacesTheWholeFile()
    {
        var store = Store();
        store.Load();
        store.Save(Sample());
        store.Save(OwnedTable.Create([new(Tcp4, [])]));

        var loaded = Store().Load();
        Assert.Equal(1, loaded.ServiceCount);
        Assert.Equal(0, loaded.DestinationCount);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("{\"version\": 1, \"agent\": \"gorblink\", \"services\": [", "not valid JSON")]
    [InlineData("null", "no JSON object")]
    [InlineData("{\"agent\": \"gorblink\", \"services\": []}", "no \"version\"")]
    [InlineData("{\"version\": 1, \"agent\": \"keepalived\", \"services\": []}", "\"agent\" is \"keepalived\"")]
    [InlineData("{\"version\": 1, \"agent\": \"gorblink\", \"services\": [{\"protocol\": \"tcp\", \"address\": \"10.0.0.300\", \"port\": 80}]}", "address \"10.0.0.300\"")]
    [InlineData("{\"version\": 1, \"agent\": \"gorblink\", \"services\": [{\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 80, \"destinations\": [{\"address\": \"10.1.0.1\", \"port\": 70000}]}]}", "port 70000")]
    [InlineData("{\"version\": 1, \"agent\": \"gorblink\", \"services\": [{\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 80}, {\"protocol\": \"tcp\", \"address\": \"10.0.0.1\", \"port\": 80}]}", "listed twice")]
    [InlineData("{\"version\": 1, \"agent\": \"gorblink\", \"owned\": []}", "unknown fields: owned")]
    public void ADamagedFileIsAClearErrorNamingTheFile(string content, string problem)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.WriteAllText(StatePath, content);

        var e = Assert.Throws<OwnershipFileException>(() => Store().Load());

        Assert.Equal(StatePath, e.FilePath);
        Assert.Contains(StatePath, e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains($"mv {StatePath} {StatePath}.bad", e.Message);
    }

    [Fact]
    public void AFileOfANewerFormatIsRefused()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.WriteAllText(StatePath, "{\"version\": 2, \"agent\": \"gorblink\", \"agentVersion\": \"9.0\", \"services\": []}");

        var e = Assert.Throws<OwnershipFileException>(() => Store().Load());
        Assert.Contains("format version 2", e.Message);
        Assert.Contains("9.0", e.Message);
    }

    [Fact]
    public void AnUnwritableDirectoryIsAClearError()
    {
        Directory.CreateDirectory(_directory);
        var blocker = Path.Combine(_directory, "sub"); // a file where the directory should be
        File.WriteAllText(blocker, "");
        var store = Store();
        store.Load();

        var e = Assert.Throws<OwnershipFileException>(() => store.Save(Sample()));
        Assert.Contains(StatePath, e.Message);
    }
}
