using System.Text;
using GorbLink.Remote.Metrics;

namespace GorbLink.Tests.Metrics;

/// <summary>--otlp-endpoint: the meter pushed by OTLP/HTTP protobuf to a receiver this test runs on loopback.</summary>
public class OtlpExportTests
{
    [Fact]
    public async Task TheMeterIsPushedToTheReceiverWithTheAgentsInstrumentNames()
    {
        using var receiver = new OtlpReceiver();
        await using var rig = await MetricsRig.StartAsync(new FakeProbe(), export: new MetricsExportOptions
        {
            Prometheus = true, OtlpEndpoint = receiver.Endpoint, OtlpInterval = TimeSpan.FromMilliseconds(200),
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        // Protobuf carries strings as UTF-8 bytes: the instrument names, the service name and the kernel's label values.
        // The first push may come while the instruments are still being made: wait for one that has them all.
        string[] names =
        [
            "gorblink.reconcile.passes", "gorblink.docker.reconnects", "gorblink.errors",
            "gorblink.ipvs.destination.bytes", "gorblink.ipvs.destination.weight", "gorblink.ipvs.service.packets",
            "gorblink", "192.0.2.10:32001",
        ];
        var posts = 0;
        while (true)
        {
            var (path, contentType, body) = await receiver.Posts.ReadAsync(timeout.Token);
            posts++;
            Assert.Equal("/v1/metrics", path);
            Assert.Equal("application/x-protobuf", contentType);
            var missing = names.Where(n => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(n)) < 0).ToList();
            if (missing.Count == 0) break;
            Assert.True(posts < 20, $"after {posts} pushes, {string.Join(", ", missing)} not in the last OTLP request ({body.Length} bytes)");
        }
    }

    [Theory]
    [InlineData("collector:4318")]
    [InlineData("ftp://collector:4318")]
    [InlineData("/v1/metrics")]
    [InlineData("")]
    public void AnEndpointThatIsNotAnHttpUrlIsRefusedNamingIt(string text)
    {
        Assert.False(MetricsExport.TryParseOtlpEndpoint(text, out _, out var error));
        Assert.Contains($"\"{text}\"", error, StringComparison.Ordinal);
    }
}
