using GorbLink.Core.Desired;
using GorbLink.Core.Reconcile;

namespace GorbLink.Hosting;

/// <summary>
/// Gives memory back after bursts. The agent's work is bursty: a full relist inspects every container (1,000 inspect
/// replies parsed at once), then it idles. The GC keeps the regions that burst needed committed, so an idle agent would
/// sit at its peak. After the first pass, and after a later pass when the GC holds much more than the live heap (at most
/// once a minute), a compacting collection returns the free regions to the OS. Costs a few milliseconds of one pass.
/// </summary>
internal sealed class MemoryTrimmer(TimeProvider time, Func<long> committedBeyondLiveHeap, Action trim) : IReconcilePassObserver
{
    /// <summary>Committed beyond the live heap that is worth a trim.</summary>
    public const long Slack = 8L << 20;
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset? _last;

    /// <summary>The trimmer of this process: reads the GC's figures and runs an aggressive compacting collection.</summary>
    public static MemoryTrimmer ForThisProcess(TimeProvider time) => new(
        time,
        static () => GC.GetGCMemoryInfo() is var gc ? gc.TotalCommittedBytes - gc.HeapSizeBytes : 0,
        static () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));

    public Task OnPassAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_last is { } last && now - last < MinimumInterval) return Task.CompletedTask;
        if (_last is not null && committedBeyondLiveHeap() < Slack) return Task.CompletedTask;
        _last = now;
        trim();
        return Task.CompletedTask;
    }
}
