using System.Globalization;
using GorbLink.Core.Desired;
using GorbLink.Core.Reconcile;
using GorbLink.Ipvs;
using Microsoft.Extensions.Logging;
using GorbLink.Core.Metrics;

namespace GorbLink.Metrics;

/// <summary>The durations of successful reconcile passes, as a histogram; it observes the reconcile loop.</summary>
internal sealed class PassDurations : IReconcilePassObserver
{
    /// <summary>Upper bounds of the histogram, in seconds.</summary>
    public static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram _histogram = new(Buckets);

    public HistogramSnapshot Snapshot() => _histogram.Snapshot();

    public Task OnPassAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken)
    {
        _histogram.Observe(result.Duration.TotalSeconds);
        return Task.CompletedTask;
    }
}

/// <summary>
/// /metrics: the agent's counters and, per virtual service and destination GorbLink manages, the kernel's IPVS counters
/// (STATS64), connection counts and weights, read from the kernel at each scrape.
/// </summary>
internal sealed partial class AgentMetrics(IAgentProbe probe, PassDurations durations, ILogger<AgentMetrics> logger,
    Core.SyncDaemons.SyncDaemonKeeper? syncDaemons = null)
{
    private long _kernelReadErrors;
    private string? _lastKernelError;

    public async Task<string> RenderAsync(CancellationToken cancellationToken) =>
        (await RenderTextAsync(cancellationToken).ConfigureAwait(false)).ToString();

    public async Task<PrometheusText> RenderTextAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<VirtualServiceTable>? tables = null;
        try
        {
            tables = await probe.ReadKernelAsync(cancellationToken).ConfigureAwait(false);
            _lastKernelError = null;
        }
        catch (Exception e) when (e is IpvsException or Netlink.NetlinkException)
        {
            Interlocked.Increment(ref _kernelReadErrors);
            if (_lastKernelError != e.Message) LogKernelUnreadable(logger, e.Message);
            _lastKernelError = e.Message;
        }
        var text = Render(tables);
        if (syncDaemons is not null) await SyncDaemonMetrics.WriteAsync(text, syncDaemons, cancellationToken).ConfigureAwait(false);
        return text;
    }

    /// <summary>The exposition; per-service metrics only when <paramref name="tables"/> could be read.</summary>
    public PrometheusText Render(IReadOnlyList<VirtualServiceTable>? tables)
    {
        var text = new PrometheusText();
        var docker = probe.Docker;
        var counters = probe.Reconcile;
        var desired = probe.Desired;
        var vips = probe.Vips;

        text.Family("gorblink_build_info", "gauge", "GorbLink's version; always 1.")
            .Sample("gorblink_build_info", 1, ("version", Version));
        text.Family("gorblink_start_time_seconds", "gauge", "When the agent started, in seconds since the Unix epoch.")
            .Sample("gorblink_start_time_seconds", probe.StartedAt.ToUnixTimeMilliseconds() / 1000.0);

        text.Family("gorblink_docker_connected", "gauge", "1 while the Docker event stream is connected and the container list loaded.")
            .Sample("gorblink_docker_connected", docker.Connected ? 1 : 0);
        text.Family("gorblink_docker_reconnects_total", "counter", "Docker sessions established after the first one.")
            .Sample("gorblink_docker_reconnects_total", docker.ReconnectCount);
        text.Family("gorblink_docker_events_total", "counter", "Docker events received.")
            .Sample("gorblink_docker_events_total", docker.EventsReceived);
        text.Family("gorblink_docker_full_syncs_total", "counter", "Full container relists: at connect, periodic, after an event queue overflow.")
            .Sample("gorblink_docker_full_syncs_total", docker.FullSyncCount);

        text.Family("gorblink_reconcile_passes_total", "counter", "Reconcile passes, failed ones included.")
            .Sample("gorblink_reconcile_passes_total", counters.Passes);
        text.Family("gorblink_reconcile_consecutive_failures", "gauge", "Failed passes since the last successful one.")
            .Sample("gorblink_reconcile_consecutive_failures", counters.ConsecutiveFailures);
        text.Family("gorblink_reconcile_last_duration_seconds", "gauge", "Duration of the last successful pass (kernel dump, plan, batch).")
            .Sample("gorblink_reconcile_last_duration_seconds", counters.LastDuration.TotalSeconds);
        text.Family("gorblink_reconcile_duration_seconds", "histogram", "Durations of successful reconcile passes.")
            .Histogram("gorblink_reconcile_duration_seconds", durations.Snapshot());
        text.Family("gorblink_reconcile_writes_total", "counter", "IPVS operations sent to the kernel, by outcome.")
            .Sample("gorblink_reconcile_writes_total", counters.WritesApplied, ("result", "applied"))
            .Sample("gorblink_reconcile_writes_total", counters.WritesRefused, ("result", "refused"));
        text.Family("gorblink_destinations_draining", "gauge", "Destinations at weight 0 waiting for their connections to end.")
            .Sample("gorblink_destinations_draining", counters.PendingDrains);
        text.Family("gorblink_container_problems", "gauge", "Containers left out by the last pass: label errors and conflicts.")
            .Sample("gorblink_container_problems", desired?.Errors.Count ?? 0, ("kind", "label"))
            .Sample("gorblink_container_problems", desired?.Conflicts.Count ?? 0, ("kind", "conflict"));
        text.Family("gorblink_errors_total", "counter",
                "Errors since start, by kind: reconcile (failed passes), kernel_refused (operations the kernel refused), " +
                "docker (failed connection attempts and lost event streams), vip (address changes that failed), kernel_read (scrapes that could not read IPVS).")
            .Sample("gorblink_errors_total", counters.FailedPasses, ("kind", "reconcile"))
            .Sample("gorblink_errors_total", counters.WritesRefused, ("kind", "kernel_refused"))
            .Sample("gorblink_errors_total", docker.FailureCount, ("kind", "docker"))
            .Sample("gorblink_errors_total", vips?.FailureCount ?? 0, ("kind", "vip"))
            .Sample("gorblink_errors_total", Interlocked.Read(ref _kernelReadErrors), ("kind", "kernel_read"));
        if (vips is not null)
        {
            text.Family("gorblink_vips_added", "gauge", "Addresses GorbLink added to the --vip-interface and keeps.")
                .Sample("gorblink_vips_added", vips.Managed.Count, ("interface", vips.Options.Interface));
        }

        WriteProcess(text);

        text.Family("gorblink_ipvs_up", "gauge", "1 when this scrape could read the kernel's IPVS table.")
            .Sample("gorblink_ipvs_up", tables is null ? 0 : 1);
        if (tables is not null) WriteServices(text, tables, desired);
        return text;
    }

    private static void WriteProcess(PrometheusText text)
    {
        var gc = GC.GetGCMemoryInfo();
        text.Family("gorblink_process_resident_memory_bytes", "gauge", "Resident memory of the agent process (VmRSS).")
            .Sample("gorblink_process_resident_memory_bytes", ResidentBytes());
        text.Family("gorblink_gc_heap_bytes", "gauge", "Managed heap size after the last garbage collection.")
            .Sample("gorblink_gc_heap_bytes", gc.HeapSizeBytes);
        text.Family("gorblink_gc_committed_bytes", "gauge", "Memory the garbage collector has committed.")
            .Sample("gorblink_gc_committed_bytes", gc.TotalCommittedBytes);
        text.Family("gorblink_gc_collections_total", "counter", "Garbage collections, by generation.");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            text.Sample("gorblink_gc_collections_total", GC.CollectionCount(generation), ("generation", generation.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>VmRSS from /proc/self/statm (pages), 0 where there is none.</summary>
    private static double ResidentBytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return double.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    private void WriteServices(PrometheusText text, IReadOnlyList<VirtualServiceTable> tables, DesiredState? desired)
    {
        var managed = new HashSet<VirtualServiceKey>(probe.Owned);
        if (desired is not null) foreach (var service in desired.Services) managed.Add(service.Key);
        var rows = tables.Where(t => managed.Contains(t.Key)).ToList();

        text.Family("gorblink_ipvs_services", "gauge", "Virtual services GorbLink manages that are in the kernel.")
            .Sample("gorblink_ipvs_services", rows.Count);
        text.Family("gorblink_ipvs_service_connections_total", "counter", "Connections scheduled by the virtual service (IPVS conns).");
        foreach (var row in rows) text.Sample("gorblink_ipvs_service_connections_total", row.Service.Stats.Connections, ServiceLabels(row.Key, desired));
        text.Family("gorblink_ipvs_service_packets_total", "counter", "Packets through the virtual service, by direction (in: from clients, out: to clients).");
        foreach (var row in rows)
        {
            text.Sample("gorblink_ipvs_service_packets_total", row.Service.Stats.InPackets, [.. ServiceLabels(row.Key, desired), ("direction", "in")]);
            text.Sample("gorblink_ipvs_service_packets_total", row.Service.Stats.OutPackets, [.. ServiceLabels(row.Key, desired), ("direction", "out")]);
        }
        text.Family("gorblink_ipvs_service_bytes_total", "counter", "Bytes through the virtual service, by direction.");
        foreach (var row in rows)
        {
            text.Sample("gorblink_ipvs_service_bytes_total", row.Service.Stats.InBytes, [.. ServiceLabels(row.Key, desired), ("direction", "in")]);
            text.Sample("gorblink_ipvs_service_bytes_total", row.Service.Stats.OutBytes, [.. ServiceLabels(row.Key, desired), ("direction", "out")]);
        }

        var destinations = rows.SelectMany(r => r.Destinations.Select(d => (r.Key, Destination: d))).ToList();
        text.Family("gorblink_ipvs_destination_connections_total", "counter", "Connections scheduled to the destination.");
        foreach (var (key, d) in destinations)
            text.Sample("gorblink_ipvs_destination_connections_total", d.Stats.Connections, DestinationLabels(key, d, desired));
        text.Family("gorblink_ipvs_destination_packets_total", "counter", "Packets through the destination, by direction.");
        foreach (var (key, d) in destinations)
        {
            text.Sample("gorblink_ipvs_destination_packets_total", d.Stats.InPackets, [.. DestinationLabels(key, d, desired), ("direction", "in")]);
            text.Sample("gorblink_ipvs_destination_packets_total", d.Stats.OutPackets, [.. DestinationLabels(key, d, desired), ("direction", "out")]);
        }
        text.Family("gorblink_ipvs_destination_bytes_total", "counter", "Bytes through the destination, by direction.");
        foreach (var (key, d) in destinations)
        {
            text.Sample("gorblink_ipvs_destination_bytes_total", d.Stats.InBytes, [.. DestinationLabels(key, d, desired), ("direction", "in")]);
            text.Sample("gorblink_ipvs_destination_bytes_total", d.Stats.OutBytes, [.. DestinationLabels(key, d, desired), ("direction", "out")]);
        }
        text.Family("gorblink_ipvs_destination_active_connections", "gauge", "Established connections to the destination (ActiveConn).");
        foreach (var (key, d) in destinations)
            text.Sample("gorblink_ipvs_destination_active_connections", d.ActiveConnections, DestinationLabels(key, d, desired));
        text.Family("gorblink_ipvs_destination_inactive_connections", "gauge", "Other connections to the destination (InActConn).");
        foreach (var (key, d) in destinations)
            text.Sample("gorblink_ipvs_destination_inactive_connections", d.InactiveConnections, DestinationLabels(key, d, desired));
        text.Family("gorblink_ipvs_destination_weight", "gauge", "The destination's weight in the kernel; 0 while it drains.");
        foreach (var (key, d) in destinations)
            text.Sample("gorblink_ipvs_destination_weight", d.Destination.Spec.Weight, DestinationLabels(key, d, desired));
    }

    private static (string, string)[] ServiceLabels(VirtualServiceKey key, DesiredState? desired)
    {
        var name = desired?.ServiceInfo.TryGetValue(key, out var info) == true ? info.Name : "";
        return
        [
            ("service", key.ToString()),
            ("name", name),
            ("protocol", key.IsFirewallMark ? "fwmark" : IpvsNames.Protocol(key.Protocol)),
            ("vip", key.Address?.ToString() ?? ""),
            ("port", key.IsFirewallMark ? "" : key.Port.ToString(CultureInfo.InvariantCulture)),
        ];
    }

    private static (string, string)[] DestinationLabels(VirtualServiceKey key, DestinationStatus destination, DesiredState? desired) =>
    [
        .. ServiceLabels(key, desired),
        ("destination", destination.Key.ToString()),
        ("container", desired?.OwnerOf(key, destination.Key)?.ContainerName ?? ""),
    ];

    private static string Version => Core.Ownership.OwnershipOptions.DefaultAgentVersion;

    [LoggerMessage(EventId = 1402, EventName = "MetricsKernelUnreadable", Level = LogLevel.Warning,
        Message = "metrics: cannot read the kernel's IPVS table: {Reason}")]
    private static partial void LogKernelUnreadable(ILogger logger, string reason);
}
