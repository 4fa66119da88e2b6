using System.Globalization;
using GorbLink.Core.Status;
using GorbLink.Core.SyncDaemons;
using GorbLink.Core.Metrics;

namespace GorbLink.Metrics;

/// <summary>
/// gorblink_sync_daemon: one sample per role GorbLink was asked to run or found running, labelled with its state
/// (running = GorbLink's, foreign = someone else's, left alone; stopped = GorbLink's, gone from the kernel), interface
/// and sync id; 1 while the kernel runs it. Read from the kernel at each scrape.
/// </summary>
internal static class SyncDaemonMetrics
{
    public const string Name = "gorblink_sync_daemon";

    public static async Task WriteAsync(PrometheusText text, SyncDaemonKeeper keeper, CancellationToken cancellationToken)
    {
        IReadOnlyList<SyncDaemonStatusEntry> entries;
        try
        {
            entries = await keeper.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Ipvs.IpvsException or Netlink.NetlinkException)
        {
            // gorblink_ipvs_up already says the kernel could not be read.
            return;
        }
        Write(text, entries);
    }

    public static void Write(PrometheusText text, IReadOnlyList<SyncDaemonStatusEntry> entries)
    {
        var family = text.Family(Name, "gauge",
            "IPVS connection-sync daemons by role: 1 while the kernel runs it; state running (GorbLink's), foreign (left alone) or stopped.");
        foreach (var entry in entries)
        {
            family.Sample(Name, entry.State == SyncDaemonStatusEntry.Stopped ? 0 : 1,
                ("role", entry.Role), ("state", entry.State), ("interface", entry.Interface),
                ("syncid", entry.SyncId.ToString(CultureInfo.InvariantCulture)));
        }
    }
}
