using System.Net;
using System.Text;
using GorbLink.Remote.Metrics;
using GorbLink.Remote.Tests.Support;

namespace GorbLink.Remote.Tests.Server;

/// <summary>
/// serve's GORB gauges under churn, through the real SDK and exporter (GET /metrics on the API port): services and
/// backends registered and removed, many more over the daemon's life than the instruments' limits.
/// </summary>
public sealed class ServeSeriesChurnTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;

    public async ValueTask InitializeAsync() =>
        _daemon = await TestDaemon.CreateAsync(configure: o => o with { Metrics = o.Metrics with { Limits = new SeriesLimits(Destinations: 8, Services: 4) } });

    public async ValueTask DisposeAsync() => await _daemon.DisposeAsync();

    [Fact]
    public async Task ServicesAndBackendsComingAndGoingPastTheLimitKeepTheirOwnSeries()
    {
        for (var round = 0; round < 20; round++)
        {
            // One service at a time, replaced each round, with two backends (one of them at the address of one before).
            if (round > 0) await SendAsync("DELETE", $"/service/app{round - 1}-{8000 + round - 1}-tcp");
            var service = $"app{round}-{8000 + round}-tcp";
            await SendAsync("PUT", $"/service/{service}", $$"""{"port":{{8000 + round}}}""");
            foreach (var port in new[] { 30_000 + round, 30_001 + round })
                await SendAsync("PUT", $"/service/{service}/b{port}", $$"""{"host":"10.0.0.5","port":{{port}},"weight":7}""");

            var lines = PrometheusScrape.Lines(await _daemon.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken));

            Assert.DoesNotContain(lines, l => l.Contains("otel_metric_overflow", StringComparison.Ordinal));
            (string, string)[] labels = [("name", service), ("host", "10.1.0.1"), ("port", $"{8000 + round}"), ("protocol", "tcp")];
            Assert.Equal(2, PrometheusScrape.Value(lines, "gorb_service_backends", labels));
            foreach (var port in new[] { 30_000 + round, 30_001 + round })
            {
                (string, string)[] backend = [("service_name", service), ("name", $"b{port}"), ("host", "10.0.0.5"), ("port", $"{port}")];
                Assert.Equal(7, PrometheusScrape.Value(lines, "gorb_service_backend_weight", backend));
            }
            Assert.Equal(2, lines.Count(l => l.StartsWith("gorb_service_backend_weight{", StringComparison.Ordinal)));
        }
        Assert.True(_daemon.Server!.Meters.Generation > 1, "the meter provider was built again");
    }

    private async Task SendAsync(string method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _daemon.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }
}
