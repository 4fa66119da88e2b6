using GorbLink.Core.Metrics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace GorbLink.Remote.Metrics;

/// <summary>Where the GorbLink meter is exported: Prometheus text (--metrics-listen), OTLP push (--otlp-endpoint), or both.</summary>
public sealed record MetricsExportOptions
{
    public bool Prometheus { get; init; }

    /// <summary>--otlp-endpoint: an OTLP/HTTP (protobuf) receiver; a URL without a path gets /v1/metrics.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>How often OTLP pushes.</summary>
    public TimeSpan OtlpInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The meter to export; tests give each its own name.</summary>
    public string MeterName { get; init; } = GorbLinkMeter.Name;

    /// <summary>service.name of the OTLP resource ("gorblink" for run, "gorblink-serve" for serve).</summary>
    public string ServiceName { get; init; } = "gorblink";

    /// <summary>Each instrument's cardinality limit; tests give small ones.</summary>
    public SeriesLimits Limits { get; init; } = SeriesLimits.Default;

    public bool Any => Prometheus || OtlpEndpoint is not null;
}

/// <summary>
/// The OpenTelemetry SDK's meter provider (here, in the lowest project with ASP.NET Core, because `serve` and `run` both use it) over the GorbLink meter, with the exporters asked for. The Prometheus
/// exporter keeps GorbLink's names and labels: no otel_scope_* labels, no target_info, no response cache (a scrape reads
/// the kernel now). Cardinality limits are sized per instrument by <see cref="SeriesLimits"/>, because the SDK reserves the room up front.
/// </summary>
public static class MetricsExport
{
    /// <summary>The export asked for, or null when none is.</summary>
    public static ExportedMeter? Build(MetricsExportOptions options) =>
        options.Any ? new ExportedMeter(() => BuildProvider(options), options.Prometheus, options.Limits) : null;

    private static MeterProvider BuildProvider(MetricsExportOptions options)
    {
        var builder = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(options.ServiceName, serviceVersion: Core.Ownership.OwnershipOptions.DefaultAgentVersion))
            .AddMeter(options.MeterName)
            .AddView(instrument => new MetricStreamConfiguration { CardinalityLimit = options.Limits.For(instrument.Name) });
        if (options.Prometheus)
        {
            builder.AddPrometheusExporter(prometheus =>
            {
                prometheus.ScopeInfoEnabled = false;
                prometheus.TargetInfoEnabled = false;
                prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
            });
        }
        if (options.OtlpEndpoint is { } endpoint)
        {
            builder.AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                exporter.Endpoint = endpoint.AbsolutePath is "" or "/" ? new Uri(endpoint, "/v1/metrics") : endpoint;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpInterval.TotalMilliseconds;
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
            });
        }
        return builder.Build();
    }

    /// <summary>Checks --otlp-endpoint: an absolute http or https URL.</summary>
    public static bool TryParseOtlpEndpoint(string? text, out Uri endpoint, out string error)
    {
        endpoint = null!;
        error = "";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
        {
            error = $"\"{text}\" is not an http:// or https:// URL of an OTLP/HTTP receiver (e.g. http://collector:4318)";
            return false;
        }
        endpoint = uri;
        return true;
    }
}
