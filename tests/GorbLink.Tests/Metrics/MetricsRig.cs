using System.Diagnostics.Metrics;
using System.Net;
using GorbLink.Core.Metrics;
using GorbLink.Metrics;
using GorbLink.Remote.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Tests.Metrics;

/// <summary>
/// The agent's instruments over a fake probe, on a meter of the test's own (tests run in parallel and the SDK listens
/// by meter name), exported as in the agent and served by the metrics server on a loopback port.
/// </summary>
internal sealed class MetricsRig : IAsyncDisposable
{
    private readonly HttpClient _http = new();

    private MetricsRig(Meter meter, ExportedMeter export, MetricsServer server, PassDurations durations, ManualTime time)
    {
        Meter = meter;
        Export = export;
        Server = server;
        Durations = durations;
        Time = time;
    }

    public Meter Meter { get; }
    public ExportedMeter Export { get; }
    public MetricsServer Server { get; }
    public PassDurations Durations { get; }

    /// <summary>The kernel view's clock: advance it past <see cref="KernelView.ReuseWindow"/> for a fresh kernel read.</summary>
    public ManualTime Time { get; }

    public static async Task<MetricsRig> StartAsync(FakeProbe probe, Action<long>? afterScrape = null, MetricsExportOptions? export = null)
    {
        var name = "GorbLink.Tests." + Guid.NewGuid().ToString("N");
        var meter = GorbLinkMeter.Create(name);
        var exported = MetricsExport.Build((export ?? new MetricsExportOptions { Prometheus = true }) with { MeterName = name })!;
        var time = new ManualTime();
        _ = new AgentInstruments(meter, probe, new KernelView(probe, time, NullLogger.Instance, exported.Series));
        var durations = new PassDurations(meter);
        var server = await MetricsServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), exported, () => Health.Check(probe),
            NullLoggerFactory.Instance, TestContext.Current.CancellationToken, afterScrape);
        return new MetricsRig(meter, exported, server, durations, time);
    }

    public async Task<string> ScrapeAsync() =>
        await _http.GetStringAsync(new Uri(Server.Address, "/metrics"), TestContext.Current.CancellationToken);

    public async Task<string[]> ScrapeLinesAsync() => (await ScrapeAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Server.DisposeAsync();
        Export.Dispose();
        Meter.Dispose();
    }
}

internal sealed class ManualTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
