using GorbLink.Core.Reconcile;
using GorbLink.Ipvs;
using GorbLink.Metrics;
using GorbLink.Core.Pipeline;

namespace GorbLink.Tests.Metrics;

public class AgentInstrumentsTests
{
    [Fact]
    public async Task ServicesAndDestinationsGorbLinkManagesCarryTheKernelCountersAndNames()
    {
        await using var rig = await MetricsRig.StartAsync(new FakeProbe());
        var lines = await rig.ScrapeLinesAsync();

        (string, string)[] service = [("service", "tcp 10.0.0.1:80"), ("name", "web"), ("protocol", "tcp"), ("vip", "10.0.0.1"), ("port", "80")];
        Assert.Equal(12, PrometheusScrape.Value(lines, "gorblink_ipvs_service_connections_total", service));
        Assert.Equal(100, PrometheusScrape.Value(lines, "gorblink_ipvs_service_packets_total", [.. service, ("direction", "in")]));
        Assert.Equal(128000, PrometheusScrape.Value(lines, "gorblink_ipvs_service_bytes_total", [.. service, ("direction", "out")]));
        (string, string)[] destination = [.. service, ("destination", "192.0.2.10:32001"), ("container", "web-1")];
        Assert.Equal(12, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_connections_total", destination));
        Assert.Equal(6400, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_bytes_total", [.. destination, ("direction", "in")]));
        Assert.Equal(2, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_active_connections", destination));
        Assert.Equal(5, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_inactive_connections", destination));
        Assert.Equal(100, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_weight", destination));
        // A draining destination no container asks for anymore: weight 0, no container name.
        Assert.Equal(0, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_weight", [.. service, ("destination", "192.0.2.10:32002"), ("container", "")]));
        // Someone else's service is not GorbLink's to report.
        Assert.DoesNotContain(lines, l => l.Contains("10.9.9.9", StringComparison.Ordinal));
        Assert.Contains("gorblink_ipvs_services{} 1", lines);
        Assert.Contains("gorblink_ipvs_up{} 1", lines);
    }

    [Fact]
    public async Task AgentCountersErrorsByKindAndTheDurationHistogram()
    {
        var probe = new FakeProbe
        {
            Reconcile = new SinkCounters { Passes = 9, FailedPasses = 2, WritesApplied = 40, WritesRefused = 3, ConsecutiveFailures = 0, LastDuration = TimeSpan.FromMilliseconds(12.5) },
            PendingDrains = 1,
        };
        probe.Docker = probe.Docker with { ReconnectCount = 2, FailureCount = 4, EventsReceived = 77 };
        await using var rig = await MetricsRig.StartAsync(probe);
        var durations = rig.Durations;
        var pass = new ReconcileResult { Plan = new Core.Planning.IpvsPlan([]), Duration = TimeSpan.FromMilliseconds(3) };
        await durations.OnPassAsync(probe.Desired!, pass, TestContext.Current.CancellationToken);
        await durations.OnPassAsync(probe.Desired!, pass with { Duration = TimeSpan.FromMilliseconds(40) }, TestContext.Current.CancellationToken);

        var lines = await rig.ScrapeLinesAsync();
        Assert.Contains("gorblink_reconcile_passes_total{} 9", lines);
        Assert.Contains("gorblink_reconcile_last_duration_seconds{} 0.0125", lines);
        Assert.Contains("gorblink_reconcile_writes_total{result=\"applied\"} 40", lines);
        Assert.Contains("gorblink_docker_connected{} 1", lines);
        Assert.Contains("gorblink_docker_reconnects_total{} 2", lines);
        Assert.Contains("gorblink_docker_events_total{} 77", lines);
        Assert.Contains("gorblink_destinations_draining{} 1", lines);
        Assert.Contains("gorblink_errors_total{kind=\"reconcile\"} 2", lines);
        Assert.Contains("gorblink_errors_total{kind=\"kernel_refused\"} 3", lines);
        Assert.Contains("gorblink_errors_total{kind=\"docker\"} 4", lines);
        Assert.Contains("gorblink_errors_total{kind=\"vip\"} 0", lines);
        Assert.Contains("gorblink_reconcile_duration_seconds_bucket{le=\"0.005\"} 1", lines);
        Assert.Contains("gorblink_reconcile_duration_seconds_bucket{le=\"0.05\"} 2", lines);
        Assert.Contains("gorblink_reconcile_duration_seconds_count{} 2", lines);
        Assert.Contains("gorblink_start_time_seconds{} 1700000000", lines);
    }

    [Fact]
    public async Task TheProcessReportsItsResidentMemoryAndGarbageCollections()
    {
        await using var rig = await MetricsRig.StartAsync(new FakeProbe());
        var lines = await rig.ScrapeLinesAsync();
        double Value(string prefix) => double.Parse(Assert.Single(lines, l => l.StartsWith(prefix + "{} ", StringComparison.Ordinal))[(prefix.Length + 3)..], System.Globalization.CultureInfo.InvariantCulture);
        // This test process is certainly more than 1 MB resident, and less than the machine.
        Assert.InRange(Value("gorblink_process_resident_memory_bytes"), 1 << 20, 1L << 40);
        Assert.True(Value("gorblink_gc_heap_bytes") > 0);
        Assert.True(Value("gorblink_gc_committed_bytes") > 0);
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            Assert.Contains(lines, l => l.StartsWith($"gorblink_gc_collections_total{{generation=\"{generation}\"}} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AKernelThatCannotBeReadIsCountedAndTheRestStillServed()
    {
        var probe = new FakeProbe { KernelFailure = new IpvsException(IpvsOperationKind.GetService, "services", GorbLink.Netlink.Errno.ENOBUFS, "dump services: no buffer space") };
        await using var rig = await MetricsRig.StartAsync(probe);
        await rig.ScrapeAsync();
        rig.Time.Advance(KernelView.ReuseWindow);
        var lines = await rig.ScrapeLinesAsync();
        // One kernel read per collection, however many instruments use it.
        Assert.Contains("gorblink_ipvs_up{} 0", lines);
        Assert.Contains("gorblink_errors_total{kind=\"kernel_read\"} 2", lines);
        Assert.Contains("gorblink_reconcile_passes_total{} 3", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("gorblink_ipvs_service_", StringComparison.Ordinal));
    }
}
