using System.Globalization;
using System.Text;
using GorbLink.Core.Status;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;

namespace GorbLink.Cli;

/// <summary>
/// The connection-sync daemons in `gorblink status`: what the kernel runs now, marked with what GorbLink recorded
/// starting (sync-daemons.json in the state directory). Works for `run` and `serve` alike, as both record there.
/// </summary>
internal static class SyncDaemonStatusView
{
    /// <summary>The daemons, or empty when there are none or the kernel cannot be read here.</summary>
    public static async Task<IReadOnlyList<SyncDaemonStatusEntry>> ReadAsync(string stateDirectory, CancellationToken cancellationToken)
    {
        var recorded = SyncDaemonsFile.TryRead(Path.Combine(stateDirectory, SyncDaemonsFile.FileName));
        try
        {
            await using var client = await IpvsNetlinkClient.OpenAsync(cancellationToken);
            return SyncDaemonStatusEntry.Merge(await client.GetSyncDaemonsAsync(cancellationToken), recorded);
        }
        catch (IpvsException)
        {
            return [];
        }
    }

    public static string Render(IReadOnlyList<SyncDaemonStatusEntry> daemons)
    {
        if (daemons.Count == 0) return "";
        var text = new StringBuilder();
        var ic = CultureInfo.InvariantCulture;
        text.AppendLine("sync daemons:");
        foreach (var d in daemons)
        {
            var owner = d.State switch
            {
                SyncDaemonStatusEntry.Running => "started by GorbLink",
                SyncDaemonStatusEntry.Foreign => "not started by GorbLink, left alone",
                _ => "started by GorbLink, no longer running",
            };
            text.Append(ic, $"  {d.Role,-6} on {d.Interface}, sync id {d.SyncId}");
            if (d.Group is not null) text.Append(ic, $", group {d.Group}");
            if (d.Port is { } port) text.Append(ic, $", port {port}");
            text.Append(ic, $": {owner}");
            if (d.Note is not null) text.Append(ic, $" (other settings than asked: {d.Note})");
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>`gorblink status --json` when only sync daemons are there to show (serve, which writes no status.json).</summary>
    public static string Json(IReadOnlyList<SyncDaemonStatusEntry> daemons) =>
        Encoding.UTF8.GetString(SyncDaemonsFile.Serialize(daemons));
}
