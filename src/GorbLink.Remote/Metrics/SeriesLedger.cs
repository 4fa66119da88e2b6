namespace GorbLink.Remote.Metrics;

/// <summary>
/// The objects whose series fill the SDK's per-object instruments, one <see cref="ObjectSeries"/> per kind, sized by
/// <see cref="SeriesLimits"/>. The instruments report each collection's objects here; <see cref="ExportedMeter"/>
/// builds a new meter provider when one kind is <see cref="ObjectSeries.Due"/>.
/// </summary>
public sealed class SeriesLedger
{
    internal SeriesLedger(SeriesLimits limits, Action onDue)
    {
        Destinations = new ObjectSeries(limits.Destinations, onDue);
        Services = new ObjectSeries(limits.Services, onDue);
    }

    /// <summary>Destinations (agent) and backends (serve).</summary>
    public ObjectSeries Destinations { get; }

    /// <summary>Virtual services (agent) and services (serve).</summary>
    public ObjectSeries Services { get; }

    internal bool Due => Destinations.Due || Services.Due;

    internal void Restart()
    {
        Destinations.Restart();
        Services.Restart();
    }
}
