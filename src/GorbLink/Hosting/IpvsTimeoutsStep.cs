using GorbLink.Ipvs;
using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// The start-up step of --ipvs-timeouts (`run` and `serve`): reads the kernel's IPVS timeouts, and writes those the
/// user asked to change. A value of 0 keeps the kernel's; a value already equal is not written and not logged, so a
/// restart with the same flags says nothing. The timeouts are global to the network namespace (IPVS_CMD_SET_CONFIG):
/// every IPVS service on the host gets them, and they stay after GorbLink exits.
/// </summary>
internal static partial class IpvsTimeoutsStep
{
    /// <summary>The timeouts the kernel has after <paramref name="wanted"/> is applied to <paramref name="current"/>.</summary>
    public static IpvsTimeouts Merge(IpvsTimeouts current, IpvsTimeouts wanted) => new(
        wanted.Tcp == 0 ? current.Tcp : wanted.Tcp,
        wanted.TcpFin == 0 ? current.TcpFin : wanted.TcpFin,
        wanted.Udp == 0 ? current.Udp : wanted.Udp);

    /// <summary>Applies <paramref name="wanted"/>; in a dry run only says what it would write.</summary>
    /// <returns>Null when done (or nothing to do); otherwise the exit code and the one line that says why not.</returns>
    public static async Task<StartupFailure?> ApplyAsync(
        IIpvsClient ipvs, IpvsTimeouts wanted, bool dryRun, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ipvs);
        ArgumentNullException.ThrowIfNull(wanted);
        try
        {
            var current = await ipvs.GetTimeoutsAsync(cancellationToken).ConfigureAwait(false);
            var target = Merge(current, wanted);
            if (target == current) return null;
            if (dryRun)
            {
                LogWouldSet(logger, Describe(current), Describe(target));
                return null;
            }
            // Only the values that differ are sent: 0 tells the kernel to keep one, so a concurrent `ipvsadm --set`
            // of another value is not undone by a stale read.
            await ipvs.SetTimeoutsAsync(new IpvsTimeouts(
                target.Tcp == current.Tcp ? 0 : target.Tcp,
                target.TcpFin == current.TcpFin ? 0 : target.TcpFin,
                target.Udp == current.Udp ? 0 : target.Udp), cancellationToken).ConfigureAwait(false);
            LogSet(logger, Describe(current), Describe(target));
            return null;
        }
        catch (IpvsPermissionException e)
        {
            return new StartupFailure(ExitCodes.NoPermission, $"--ipvs-timeouts: {e.Message}");
        }
        catch (IpvsException e)
        {
            return new StartupFailure(ExitCodes.Failure, $"--ipvs-timeouts: cannot set the IPVS timeouts: {e.Message}");
        }
    }

    /// <summary>"tcp 900 s, tcpfin 120 s, udp 300 s", as `gorblink status` shows them too.</summary>
    public static string Describe(IpvsTimeouts t) => $"tcp {t.Tcp} s, tcpfin {t.TcpFin} s, udp {t.Udp} s";

    // Event ids 1601-1609: --ipvs-timeouts.
    [LoggerMessage(EventId = 1601, EventName = "IpvsTimeoutsSet", Level = LogLevel.Information,
        Message = "IPVS timeouts set host-wide: {Previous} -> {Value}")]
    private static partial void LogSet(ILogger logger, string previous, string value);

    [LoggerMessage(EventId = 1602, EventName = "IpvsTimeoutsWouldSet", Level = LogLevel.Information,
        Message = "dry run, would set the IPVS timeouts host-wide: {Previous} -> {Value}")]
    private static partial void LogWouldSet(ILogger logger, string previous, string value);
}
