using System.Diagnostics.Metrics;
using System.Globalization;
using GorbLink.Core.Metrics;
using GorbLink.Core.Status;
using GorbLink.Core.SyncDaemons;

namespace GorbLink.Metrics;

/// <summary>gorblink_sync_daemon, on the agent's meter (`run --local`) and on serve's: the IPVS connection-sync daemons.</summary>
internal static class SyncDaemonInstruments
{
    public static void Add(Meter meter, SyncDaemonKeeper keeper) =>
        meter.CreateObservableGauge("gorblink.sync_daemon", () => SyncDaemons(keeper),
            description: "IPVS connection-sync daemons by role: 1 while the kernel runs it; state running (GorbLink's), foreign (left alone) or stopped.");

    /// <summary>One sample per role GorbLink was asked to run or found running; read from the kernel at each collection.</summary>
    private static IEnumerable<Measurement<int>> SyncDaemons(SyncDaemonKeeper keeper)
    {
        IReadOnlyList<SyncDaemonStatusEntry> entries;
        try
        {
            entries = keeper.ReadAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is Ipvs.IpvsException or Netlink.NetlinkException)
        {
            return []; // gorblink_ipvs_up already says the kernel could not be read.
        }
        return entries.Select(e => GorbLinkMeter.Measure(e.State == SyncDaemonStatusEntry.Stopped ? 0 : 1,
            ("role", e.Role), ("state", e.State), ("interface", e.Interface), ("syncid", e.SyncId.ToString(CultureInfo.InvariantCulture))));
    }
}
