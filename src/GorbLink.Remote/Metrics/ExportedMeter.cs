using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Metrics;

namespace GorbLink.Remote.Metrics;

/// <summary>
/// The GorbLink meter as exported: the OpenTelemetry SDK's meter provider over it, built again when the series of
/// objects that have gone fill its instruments (<see cref="SeriesLedger"/>), because with cumulative temporality the SDK
/// never gives a label set's slot back. The new provider starts empty and sees the instruments already on the meter;
/// observable counters (all of GorbLink's counters) report the same totals as before, only the duration histogram
/// starts again from zero, which Prometheus reads as a counter reset. Prometheus scrapes go through
/// <see cref="ScrapeAsync"/>, one at a time, so none is on a provider being replaced.
/// </summary>
public sealed class ExportedMeter : IDisposable
{
    private readonly Func<MeterProvider> _build;
    private readonly bool _prometheus;
    private readonly SemaphoreSlim _scrapes = new(1, 1);
    private readonly Lock _swap = new();
    private MeterProvider _provider;
    private RequestDelegate? _scrape;
    private int _renewQueued;
    private bool _disposed;

    internal ExportedMeter(Func<MeterProvider> build, bool prometheus, SeriesLimits limits)
    {
        _build = build;
        _prometheus = prometheus;
        Series = new SeriesLedger(limits, QueueRenewal);
        (_provider, _scrape) = Build();
    }

    /// <summary>Where the per-object instruments report each collection's objects.</summary>
    public SeriesLedger Series { get; }

    /// <summary>Meter providers built so far (1 until the first renewal).</summary>
    public int Generation { get; private set; } = 1;

    /// <summary>Answers a Prometheus scrape (written by OpenTelemetry's exporter) from the current provider, renewing it first when due.</summary>
    public async Task ScrapeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await _scrapes.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            var scrape = RenewIfDue() ?? throw new InvalidOperationException("the Prometheus exporter was not asked for");
            await scrape(context).ConfigureAwait(false);
        }
        finally
        {
            _scrapes.Release();
        }
    }

    /// <summary>Builds a new provider if the ledger says so; called between scrapes.</summary>
    private RequestDelegate? RenewIfDue()
    {
        MeterProvider? old = null;
        RequestDelegate? scrape;
        lock (_swap)
        {
            if (!_disposed && Series.Due)
            {
                old = _provider;
                Series.Restart();
                (_provider, _scrape) = Build();
                Generation++;
            }
            scrape = _scrape;
        }
        // Outside the lock: an OTLP reader's last export may take its time.
        old?.Dispose();
        return scrape;
    }

    /// <summary>Called from a collection that found the ledger due: renews after it, between scrapes.</summary>
    private void QueueRenewal()
    {
        if (Interlocked.Exchange(ref _renewQueued, 1) == 1) return;
        ThreadPool.QueueUserWorkItem(static self =>
        {
            self._scrapes.Wait();
            try
            {
                Interlocked.Exchange(ref self._renewQueued, 0);
                self.RenewIfDue();
            }
            catch (ObjectDisposedException)
            {
            }
            finally
            {
                self._scrapes.Release();
            }
        }, this, preferLocal: false);
    }

    private (MeterProvider, RequestDelegate?) Build()
    {
        var provider = _build();
        if (!_prometheus) return (provider, null);
        // The exporter's own scraping middleware, alone in a pipeline of its own for this provider.
        var pipeline = new ApplicationBuilder(NoServices.Instance);
        pipeline.UseOpenTelemetryPrometheusScrapingEndpoint(provider, static _ => true, null, null, null);
        return (provider, pipeline.Build());
    }

    /// <summary>The middleware is given all it needs; nothing is resolved from services.</summary>
    private sealed class NoServices : IServiceProvider
    {
        public static readonly NoServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }

    public void Dispose()
    {
        lock (_swap)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _provider.Dispose();
    }
}
