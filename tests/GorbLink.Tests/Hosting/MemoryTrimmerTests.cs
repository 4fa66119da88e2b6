using GorbLink.Core.Desired;
using GorbLink.Core.Planning;
using GorbLink.Core.Reconcile;
using GorbLink.Hosting;

namespace GorbLink.Tests.Hosting;

public class MemoryTrimmerTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task TrimsAfterTheFirstPassThenAtMostOnceAMinuteAndOnlyWithSlack()
    {
        var clock = new Clock();
        long slack = 0;
        var trims = 0;
        var trimmer = new MemoryTrimmer(clock, () => slack, () => trims++);
        var pass = new ReconcileResult { Plan = new IpvsPlan([]) };
        var token = TestContext.Current.CancellationToken;

        // The first pass follows the full relist: always trimmed, whatever the slack.
        await trimmer.OnPassAsync(DesiredState.Empty, pass, token);
        Assert.Equal(1, trims);

        // Within the minute, even with much slack: nothing.
        slack = 100L << 20;
        clock.Now += TimeSpan.FromSeconds(30);
        await trimmer.OnPassAsync(DesiredState.Empty, pass, token);
        Assert.Equal(1, trims);

        // After the minute with little committed beyond the live heap: nothing.
        slack = MemoryTrimmer.Slack - 1;
        clock.Now += TimeSpan.FromMinutes(2);
        await trimmer.OnPassAsync(DesiredState.Empty, pass, token);
        Assert.Equal(1, trims);

        // After the minute with slack: trimmed, and the minute starts again.
        slack = MemoryTrimmer.Slack;
        await trimmer.OnPassAsync(DesiredState.Empty, pass, token);
        Assert.Equal(2, trims);
        clock.Now += TimeSpan.FromSeconds(59);
        await trimmer.OnPassAsync(DesiredState.Empty, pass, token);
        Assert.Equal(2, trims);
    }

    [Fact]
    public async Task TrimsAfterAScrapeThatAllocatedMuchAtMostEveryTenSeconds()
    {
        var clock = new Clock();
        var trims = 0;
        var trimmer = new MemoryTrimmer(clock, () => 0, () => trims++);
        var token = TestContext.Current.CancellationToken;
        await trimmer.OnPassAsync(DesiredState.Empty, new ReconcileResult { Plan = new IpvsPlan([]) }, token); // the first pass's trim
        trims = 0;

        trimmer.AfterScrape(MemoryTrimmer.ScrapeSlack - 1); // a small scrape: nothing
        Assert.Equal(0, trims);
        // A big one right after the first pass's trim: trimmed (scrapes are limited by their own trims only).
        trimmer.AfterScrape(MemoryTrimmer.ScrapeSlack);
        Assert.Equal(1, trims);
        clock.Now += TimeSpan.FromSeconds(9);
        trimmer.AfterScrape(100L << 20); // a scraper polling fast: not again within 10 s
        Assert.Equal(1, trims);
        clock.Now += TimeSpan.FromSeconds(1);
        trimmer.AfterScrape(MemoryTrimmer.ScrapeSlack);
        Assert.Equal(2, trims);

        // A scrape's trim counts for the passes' minute too (one clock for both).
        clock.Now += TimeSpan.FromSeconds(30);
        await trimmer.OnPassAsync(DesiredState.Empty, new ReconcileResult { Plan = new IpvsPlan([]) }, token);
        Assert.Equal(2, trims);
    }

    [Fact]
    public async Task TheProcessTrimmerRunsAFullCollection()
    {
        var trimmer = MemoryTrimmer.ForThisProcess(TimeProvider.System);
        var before = GC.CollectionCount(GC.MaxGeneration);
        await trimmer.OnPassAsync(DesiredState.Empty, new ReconcileResult { Plan = new IpvsPlan([]) }, TestContext.Current.CancellationToken);
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > before);
    }
}
