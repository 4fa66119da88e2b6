using System.Diagnostics.Metrics;
using System.Globalization;
using GorbLink.Core.Metrics;
using GorbLink.Core.Status;
using GorbLink.Core.SyncDaemons;

namespace GorbLink.Metrics;

/// <summary>
/// The agent's observable instruments on the GorbLink meter (the pass-duration histogram is <see cref="PassDurations"/>):
/// Docker session, reconcile passes, errors by kind, VIPs, sync daemons and the process. Counts the agent already keeps
/// (the kernel sink runner's <see cref="Core.Pipeline.SinkCounters"/>, the watcher's status) are observable
/// instruments reading them, so each count lives in one place. The per-service and per-destination kernel counters are
/// <see cref="KernelInstruments"/>.
/// </summary>
internal sealed class AgentInstruments
{
    public AgentInstruments(Meter meter, IAgentProbe probe, KernelView kernel, SyncDaemonKeeper? syncDaemons = null)
    {
        meter.CreateObservableGauge("gorblink.build_info", () => GorbLinkMeter.Measure(1, ("version", Core.Ownership.OwnershipOptions.DefaultAgentVersion)),
            description: "GorbLink's version; always 1.");
        meter.CreateObservableGauge("gorblink.start_time", () => probe.StartedAt.ToUnixTimeMilliseconds() / 1000.0, "s",
            "When the agent started, in seconds since the Unix epoch.");

        meter.CreateObservableGauge("gorblink.docker.connected", () => probe.Docker.Connected ? 1 : 0,
            description: "1 while the Docker event stream is connected and the container list loaded.");
        meter.CreateObservableCounter("gorblink.docker.reconnects", () => (long)probe.Docker.ReconnectCount,
            description: "Docker sessions established after the first one.");
        meter.CreateObservableCounter("gorblink.docker.events", () => probe.Docker.EventsReceived, description: "Docker events received.");
        meter.CreateObservableCounter("gorblink.docker.full_syncs", () => probe.Docker.FullSyncCount,
            description: "Full container relists: at connect, periodic, after an event queue overflow.");

        meter.CreateObservableCounter("gorblink.reconcile.passes", () => probe.Reconcile.Passes, description: "Reconcile passes, failed ones included.");
        meter.CreateObservableGauge("gorblink.reconcile.consecutive_failures", () => probe.Reconcile.ConsecutiveFailures,
            description: "Failed passes since the last successful one.");
        meter.CreateObservableGauge("gorblink.reconcile.last_duration", () => probe.Reconcile.LastDuration.TotalSeconds, "s",
            "Duration of the last successful pass (kernel dump, plan, batch).");
        meter.CreateObservableCounter("gorblink.reconcile.writes", () =>
        {
            var c = probe.Reconcile;
            return new[] { GorbLinkMeter.Measure(c.WritesApplied, ("result", "applied")), GorbLinkMeter.Measure(c.WritesRefused, ("result", "refused")) };
        }, description: "IPVS operations sent to the kernel, by outcome.");
        meter.CreateObservableGauge("gorblink.destinations.draining", () => probe.PendingDrains,
            description: "Destinations at weight 0 waiting for their connections to end.");
        meter.CreateObservableGauge("gorblink.container.problems", () =>
        {
            var desired = probe.Desired;
            return new[]
            {
                GorbLinkMeter.Measure(desired?.Errors.Count ?? 0, ("kind", "label")),
                GorbLinkMeter.Measure(desired?.Conflicts.Count ?? 0, ("kind", "conflict")),
            };
        }, description: "Containers left out by the last pass: label errors and conflicts.");
        meter.CreateObservableCounter("gorblink.errors", () =>
        {
            kernel.Current(); // this collection's kernel read, so a failure of it is counted in it
            var c = probe.Reconcile;
            return new[]
            {
                GorbLinkMeter.Measure(c.FailedPasses, ("kind", "reconcile")),
                GorbLinkMeter.Measure(c.WritesRefused, ("kind", "kernel_refused")),
                GorbLinkMeter.Measure(probe.Docker.FailureCount, ("kind", "docker")),
                GorbLinkMeter.Measure(probe.Vips?.FailureCount ?? 0, ("kind", "vip")),
                GorbLinkMeter.Measure(kernel.ReadErrors, ("kind", "kernel_read")),
            };
        }, description: "Errors since start, by kind: reconcile (failed passes), kernel_refused (operations the kernel refused), " +
            "docker (failed connection attempts and lost event streams), vip (address changes that failed), kernel_read (collections that could not read IPVS).");
        if (probe.Vips is { } vips)
        {
            meter.CreateObservableGauge("gorblink.vips.added", () => GorbLinkMeter.Measure(vips.Managed.Count, ("interface", vips.Options.Interface)),
                description: "Addresses GorbLink added to the --vip-interface and keeps.");
        }
        if (syncDaemons is not null) SyncDaemonInstruments.Add(meter, syncDaemons);
        ProcessInstruments.Add(meter);
        KernelInstruments.Add(meter, kernel);
    }
}
