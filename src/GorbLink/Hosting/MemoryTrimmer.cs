using GorbLink.Core.Desired;
using GorbLink.Core.Reconcile;

namespace GorbLink.Hosting;

/// <summary>
/// Gives memory back after bursts. The agent's work is bursty: a full relist inspects every container (1,000 inspect
/// replies parsed at once), then it idles; a metrics scrape renders the counters of every IPVS object, then it idles.
/// The GC keeps the regions a burst needed committed, so an idle agent would sit at its peak. After the first pass, and
/// after a later pass when the GC holds much more than the live heap (at most once a minute), a compacting collection
/// returns the free regions to the OS; likewise after a scrape that allocated more than a megabyte (at most every 10 s,
/// so a scraper polling fast cannot turn it into constant full collections). Costs a few milliseconds.
/// </summary>
internal sealed class MemoryTrimmer(TimeProvider time, Func<long> committedBeyondLiveHeap, Action trim) : IReconcilePassObserver
{
    /// <summary>Committed beyond the live heap that is worth a trim.</summary>
    public const long Slack = 8L << 20;

    /// <summary>
    /// Allocated by one scrape that is worth a trim: rendering 1,100 IPVS objects allocates a few MB, and the GC's
    /// gen0 budget lets that much stay committed; a small table's scrape allocates far less.
    /// </summary>
    public const long ScrapeSlack = 1L << 20;
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MinimumScrapeInterval = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new(); // passes run on the loop, scrapes on Kestrel's threads
    private DateTimeOffset? _last;
    private DateTimeOffset? _lastAfterScrape;

    /// <summary>The trimmer of this process: reads the GC's figures and runs an aggressive compacting collection.</summary>
    public static MemoryTrimmer ForThisProcess(TimeProvider time) => new(
        time,
        static () => GC.GetGCMemoryInfo() is var gc ? gc.TotalCommittedBytes - gc.HeapSizeBytes : 0,
        static () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));

    public Task OnPassAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_last is { } last && now - last < MinimumInterval) return Task.CompletedTask;
            if (_last is not null && committedBeyondLiveHeap() < Slack) return Task.CompletedTask;
            _last = now;
            trim();
        }

        return Task.CompletedTask;
    }

    /// <summary>After a metrics scrape that allocated <paramref name="allocatedBytes"/> in this process.</summary>
    public void AfterScrape(long allocatedBytes)
    {
        if (allocatedBytes < ScrapeSlack) return;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            // Limited by the scrapes' own trims only: the first scrape usually comes right after the first pass's trim.
            if (_lastAfterScrape is { } last && now - last < MinimumScrapeInterval) return;
            _lastAfterScrape = now;
            _last = now;
            trim();
        }
    }
}
