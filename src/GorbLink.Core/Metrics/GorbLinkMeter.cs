using System.Diagnostics.Metrics;

namespace GorbLink.Core.Metrics;

/// <summary>
/// The one <see cref="Meter"/> of GorbLink: every instrument of `run` and `serve` hangs off it, so <c>dotnet-counters
/// monitor --counters GorbLink</c>, the Prometheus text on --metrics-listen and OTLP push all see the same figures.
/// Instrument names are dotted (.NET and OpenTelemetry style); the Prometheus exporter turns dots into underscores and
/// adds the unit ("s" → _seconds, "By" → _bytes) and _total for counters, which gives the names GorbLink always had.
/// </summary>
public static class GorbLinkMeter
{
    public const string Name = "GorbLink";

    /// <summary>Upper bounds of the pass-duration histograms, in seconds.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public static Meter Create(string name = Name) => new(name, Ownership.OwnershipOptions.DefaultAgentVersion);

    /// <summary>One measurement with its labels (tags), in the order the exporter writes them.</summary>
    public static Measurement<T> Measure<T>(T value, params ReadOnlySpan<(string Name, string Value)> labels) where T : struct
    {
        var tags = new KeyValuePair<string, object?>[labels.Length];
        for (var i = 0; i < labels.Length; i++) tags[i] = new(labels[i].Name, labels[i].Value);
        return new Measurement<T>(value, tags);
    }
}
