namespace GorbLink.Remote.Metrics;

/// <summary>
/// The OpenTelemetry SDK's cardinality limit for each GorbLink instrument: the series it may hold. The SDK allocates a
/// stream's whole limit when the instrument is published (an array of about 94 bytes per series, live as long as the
/// meter provider: 20,000 series on each of the agent's nine per-object instruments held 16 MB of its heap), and with
/// cumulative temporality (Prometheus) a series' slot is never given back, even after its object has left the kernel.
/// So each limit is the objects it covers times the series one object has (1, or 2 for the in/out direction), sized by
/// default for ten times the 1,000 containers in 100 services of bench/agent. Beyond the limit the SDK folds new series
/// into one otel_metric_overflow="true" series.
/// </summary>
/// <param name="Destinations">Destinations (and GORB backends) covered by one meter provider.</param>
/// <param name="Services">Virtual services (and GORB services) covered by one meter provider.</param>
public sealed record SeriesLimits(int Destinations, int Services)
{
    public const int DefaultDestinations = 10_000;
    public const int DefaultServices = 1_000;

    /// <summary>Every instrument without one series per object: counts, states, errors by kind, the process.</summary>
    public const int Other = 64;

    public static SeriesLimits Default { get; } = new(DefaultDestinations, DefaultServices);

    /// <summary>The limit of the instrument named <paramref name="name"/>.</summary>
    public int For(string name) => name switch
    {
        "gorblink.ipvs.service.packets" or "gorblink.ipvs.service.bytes" => 2 * Services,
        "gorblink.ipvs.destination.packets" or "gorblink.ipvs.destination.bytes" => 2 * Destinations,
        _ when name.StartsWith("gorblink.ipvs.destination.", StringComparison.Ordinal) => Destinations,
        _ when name.StartsWith("gorb.service.backend.", StringComparison.Ordinal) => Destinations,
        _ when name.StartsWith("gorblink.ipvs.service.", StringComparison.Ordinal) => Services,
        _ when name.StartsWith("gorb.service.", StringComparison.Ordinal) => Services,
        _ => Other,
    };
}
