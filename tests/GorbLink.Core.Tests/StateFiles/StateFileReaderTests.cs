using GorbLink.Core.StateFiles;
using GorbLink.Ipvs;

namespace GorbLink.Core.Tests.StateFiles;

public sealed class StateFileReaderTests
{
    [Fact]
    public void OmittedFieldsTakeTheDocumentedDefaults()
    {
        var services = StateFileReader.Parse("""
            {"services":[
              {"protocol":"tcp","address":"10.0.0.1","port":80,"destinations":[{"address":"10.1.0.1","port":8080}]},
              {"fwmark":7},
              {"protocol":"udp","address":"10.0.0.1","port":53,"destinations":[{"address":"10.1.0.2","port":53,"forward":"tunnel"}]}
            ]}
            """);

        Assert.Equal(
            """
            service tcp 10.0.0.1:80: scheduler=wrr flags=None persistence=0 netmask=host pe=none
              destination 10.1.0.1:8080: forward=Nat weight=1 upper=0 lower=0 tunnel=Ipip tunnelPort=0 tunnelFlags=NoChecksum
            service fwmark 7 (inet): scheduler=wrr flags=None persistence=0 netmask=host pe=none
            service udp 10.0.0.1:53: scheduler=wrr flags=None persistence=0 netmask=host pe=none
              destination 10.1.0.2:53: forward=Tunnel weight=1 upper=0 lower=0 tunnel=Ipip tunnelPort=0 tunnelFlags=NoChecksum
            """.ReplaceLineEndings("\n"),
            KernelTables.Dump(services));
    }

    [Fact]
    public void EveryFieldReachesTheModel()
    {
        var services = StateFileReader.Parse("""
            {"services":[
              {"protocol":"sctp","address":"2001:db8::1","port":3868,"scheduler":"mh","flags":["mh-port","mh-fallback","one-packet"],
               "persistence":600,"netmask":"/64","pe":"sip",
               "destinations":[{"address":"10.1.0.1","port":3868,"forward":"tunnel","weight":9,"upperThreshold":100,"lowerThreshold":50,
                                "tunnel":"gue","tunnelPort":6080,"tunnelFlags":["csum","remcsum"]}]}
            ]}
            """);

        Assert.Equal(
            """
            service sctp [2001:db8::1]:3868: scheduler=mh flags=Persistent, OnePacket, Sched1, Sched2 persistence=600 netmask=64 pe=sip
              destination 10.1.0.1:3868: forward=Tunnel weight=9 upper=100 lower=50 tunnel=Gue tunnelPort=6080 tunnelFlags=Checksum, RemoteChecksum
            """.ReplaceLineEndings("\n"),
            KernelTables.Dump(services));
    }

    [Theory]
    [InlineData("10.0.0.1", "255.255.255.0", 24)]
    [InlineData("10.0.0.1", "255.255.0.0", 16)]
    [InlineData("10.0.0.1", "0.0.0.0", 0)]
    [InlineData("10.0.0.1", "/24", 24)]
    [InlineData("10.0.0.1", "8", 8)]
    [InlineData("10.0.0.1", "255.255.255.255", null)]
    [InlineData("10.0.0.1", "32", null)]
    [InlineData("2001:db8::1", "/64", 64)]
    [InlineData("2001:db8::1", "48", 48)]
    [InlineData("2001:db8::1", "/128", null)]
    public void NetmaskForms(string address, string netmask, int? prefixLength)
    {
        var service = Assert.Single(StateFileReader.Parse(
            $$"""{"services":[{"protocol":"tcp","address":"{{address}}","port":80,"persistence":300,"netmask":"{{netmask}}"}]}"""));
        Assert.Equal(prefixLength, service.Service.Spec.NetmaskPrefixLength);
    }

    [Fact]
    public void PersistenceSetsThePersistentFlag()
    {
        var services = StateFileReader.Parse("""
            {"services":[{"protocol":"tcp","address":"10.0.0.1","port":80,"persistence":300},
                         {"protocol":"tcp","address":"10.0.0.1","port":81,"persistence":0}]}
            """);
        Assert.Equal(ServiceFlags.Persistent, services[0].Service.Spec.Flags);
        Assert.Equal(ServiceFlags.None, services[1].Service.Spec.Flags);
    }

    [Fact]
    public void ServicesKeepTheOrderOfTheFile()
    {
        var services = StateFileReader.Parse("""
            {"services":[{"protocol":"udp","address":"10.0.0.9","port":53},{"protocol":"tcp","address":"10.0.0.1","port":80}]}
            """);
        Assert.Equal(["udp 10.0.0.9:53", "tcp 10.0.0.1:80"], services.Select(service => service.Key.ToString()));
    }

    [Fact]
    public void ExceptionMessageNamesTheSourceAndListsEveryError()
    {
        var error = Assert.Throws<StateFileException>(() => StateFileReader.Parse(
            """{"services":[{"protocol":"tcp","address":"10.0.0.1","port":0,"scheduler":"xyz"}]}""", "web.json"));

        Assert.Equal("web.json", error.SourceName);
        Assert.Equal(2, error.Errors.Count);
        Assert.Equal(
            "web.json: 2 errors:" + Environment.NewLine +
            "  services[0] (tcp 10.0.0.1:0): field \"port\": 0 is out of range 1..65535" + Environment.NewLine +
            "  services[0] (tcp 10.0.0.1:0): field \"scheduler\": unknown scheduler \"xyz\" (known: rr, wrr, lc, wlc, fo, ovf, lblc, lblcr, dh, sh, mh, sed, nq, twos, none)",
            error.Message);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("255.255.255.255")]
    [InlineData("224.0.0.1")]
    [InlineData("ff02::1")]
    public void AServiceAddressMustBeUnicastAsForDestinationsAndLabels(string address)
    {
        var error = Assert.Throws<StateFileException>(() => StateFileReader.Parse(
            $$"""{"services":[{"protocol":"tcp","address":"{{address}}","port":80}]}"""));

        var line = Assert.Single(error.Errors);
        Assert.Contains("field \"address\"", line, StringComparison.Ordinal);
        Assert.Contains($"{address} is not a unicast address", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.1")]
    [InlineData("0x0a000001")]
    [InlineData("010.0.0.1")]
    [InlineData("fe80::1%1")]
    public void AddressesAreWrittenStrictly(string address)
    {
        var error = Assert.Throws<StateFileException>(() => StateFileReader.Parse(
            $$"""{"services":[{"protocol":"tcp","address":"{{address}}","port":80}]}"""));

        Assert.Contains("is not an IPv4 or IPv6 address", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadingAMissingFileNamesIt()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gorblink-missing-{Guid.NewGuid():N}.json");
        var error = await Assert.ThrowsAsync<StateFileException>(() => StateFileReader.ReadFileAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal(path, error.SourceName);
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadsAFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gorblink-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """{"services":[{"fwmark":3,"family":"inet6"}]}""", TestContext.Current.CancellationToken);
        try
        {
            var service = Assert.Single(await StateFileReader.ReadFileAsync(path, TestContext.Current.CancellationToken));
            Assert.Equal(VirtualServiceKey.ForFirewallMark(System.Net.Sockets.AddressFamily.InterNetworkV6, 3), service.Key);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
