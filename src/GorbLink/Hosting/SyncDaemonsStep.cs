using GorbLink.Cli;
using GorbLink.Core.Status;
using GorbLink.Core.SyncDaemons;
using GorbLink.Ipvs;
using Microsoft.Extensions.Logging;
using static GorbLink.Netlink.Errno.Codes;

namespace GorbLink.Hosting;

/// <summary>
/// The start-up step of --sync-daemon for `run` (local) and `serve`: starts the kernel's connection-sync daemons after
/// IPVS answered and before anything is served, and stops the ones GorbLink started when the command exits.
/// </summary>
internal static partial class SyncDaemonsStep
{
    /// <summary>Starts the daemons asked for; null (and no failure) without --sync-daemon or in a dry run.</summary>
    public static async Task<(SyncDaemonKeeper? Keeper, StartupFailure? Failure)> StartAsync(
        SyncDaemonSettings? settings, IIpvsClient ipvs, string stateDirectory, bool dryRun, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (settings is null) return (null, null);
        var log = loggerFactory.CreateLogger<SyncDaemonKeeper>();
        if (dryRun)
        {
            LogDryRun(log, settings.Roles.ToString().ToLowerInvariant(), settings.Interface, settings.SyncId);
            return (null, null);
        }
        var keeper = new SyncDaemonKeeper(ipvs, log, Path.Combine(stateDirectory, SyncDaemonsFile.FileName));
        try
        {
            await keeper.StartAsync(settings.Daemons, cancellationToken).ConfigureAwait(false);
            return (keeper, null);
        }
        catch (SyncDaemonStartException e)
        {
            // A missing or unusable interface, or a bad group, is the user's to fix: like a bad option.
            var exitCode = e.Errno.Value is ENODEV or EINVAL or EADDRNOTAVAIL ? ExitCodes.BadInput : ExitCodes.Failure;
            return (null, new StartupFailure(exitCode, e.Message));
        }
        catch (IpvsPermissionException e)
        {
            return (null, new StartupFailure(ExitCodes.NoPermission, e.Message));
        }
        catch (IpvsException e)
        {
            return (null, new StartupFailure(ExitCodes.Failure, $"cannot read the sync daemons: {e.Message}"));
        }
    }

    /// <summary>For `await using`: stops the daemons GorbLink started when the command's scope ends.</summary>
    public static IAsyncDisposable StopOnExit(SyncDaemonKeeper? keeper) => new Stopper(keeper);

    private sealed class Stopper(SyncDaemonKeeper? keeper) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // The command is ending (its token is cancelled already): the stop must still happen.
            if (keeper is not null) await keeper.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1040, EventName = "SyncDaemonDryRun", Level = LogLevel.Information,
        Message = "dry run: would start the sync daemon(s) {Roles} on {Interface}, sync id {SyncId}")]
    private static partial void LogDryRun(ILogger logger, string roles, string @interface, byte syncId);
}
