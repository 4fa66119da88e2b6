using System.Diagnostics.Metrics;
using GorbLink.Core.Desired;
using GorbLink.Core.Metrics;
using GorbLink.Core.Reconcile;

namespace GorbLink.Metrics;

/// <summary>gorblink.reconcile.duration: the duration of each successful reconcile pass, recorded as it ends.</summary>
internal sealed class PassDurations(Meter meter) : IReconcilePassObserver
{
    private readonly Histogram<double> _durations = meter.CreateHistogram("gorblink.reconcile.duration", "s", "Durations of successful reconcile passes.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = GorbLinkMeter.DurationBuckets });

    public Task OnPassAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken)
    {
        _durations.Record(result.Duration.TotalSeconds);
        return Task.CompletedTask;
    }
}
