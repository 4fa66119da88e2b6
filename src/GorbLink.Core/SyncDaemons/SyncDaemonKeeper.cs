using GorbLink.Core.Status;
using GorbLink.Ipvs;
using GorbLink.Netlink;
using Microsoft.Extensions.Logging;

namespace GorbLink.Core.SyncDaemons;

/// <summary>What start-up did about one role.</summary>
/// <param name="Wanted">The daemon GorbLink was asked to run.</param>
/// <param name="Running">What the kernel runs in that role after start-up (with the kernel's defaults filled in).</param>
/// <param name="StartedByGorbLink">GorbLink started it (or adopted the one it started before a crash), so it stops it on exit.</param>
/// <param name="Difference">For a daemon GorbLink left alone: how its settings differ from <paramref name="Wanted"/>.</param>
public sealed record SyncDaemonOutcome(SyncDaemon Wanted, SyncDaemon Running, bool StartedByGorbLink, string? Difference)
{
    public SyncDaemonStatusEntry ToStatus() =>
        SyncDaemonStatusEntry.Of(Running, StartedByGorbLink ? SyncDaemonStatusEntry.Running : SyncDaemonStatusEntry.Foreign, Difference);
}

/// <summary>
/// Runs the kernel's IPVS connection-sync daemons GorbLink was asked for: starts each role that is not running, leaves a
/// daemon someone else started in that role alone (and says so, and how its settings differ), and on exit stops only
/// the ones it started. The kernel runs at most one master and one backup per network namespace.
/// </summary>
public sealed partial class SyncDaemonKeeper(IIpvsClient ipvs, ILogger<SyncDaemonKeeper> logger, string? recordPath = null)
{
    private readonly Lock _lock = new();
    private IReadOnlyList<SyncDaemonOutcome> _outcomes = [];

    /// <summary>What <see cref="StartAsync"/> did, per role; empty before it.</summary>
    public IReadOnlyList<SyncDaemonOutcome> Outcomes
    {
        get { lock (_lock) return _outcomes; }
    }

    /// <summary>Starts the daemons, master first. A refusal stops the ones this call started, then throws.</summary>
    /// <exception cref="SyncDaemonStartException">The kernel refused one; the message names the role, interface and errno.</exception>
    public async Task StartAsync(IReadOnlyList<SyncDaemon> wanted, CancellationToken cancellationToken)
    {
        var recorded = recordPath is null ? [] : SyncDaemonsFile.TryRead(recordPath);
        var running = await ipvs.GetSyncDaemonsAsync(cancellationToken).ConfigureAwait(false);
        var outcomes = new List<SyncDaemonOutcome>();
        foreach (var daemon in wanted.OrderBy(d => d.State))
        {
            var role = SyncDaemonStatusEntry.RoleName(daemon.State);
            if (running.FirstOrDefault(d => d.State == daemon.State) is { } present)
            {
                outcomes.Add(Found(daemon, present, recorded));
                continue;
            }
            try
            {
                await ipvs.StartSyncDaemonAsync(daemon, cancellationToken).ConfigureAwait(false);
            }
            catch (IpvsException e) when (e.Errno.AlreadyExists)
            {
                // Started by someone else between the read and the start.
                var now = await ipvs.GetSyncDaemonsAsync(cancellationToken).ConfigureAwait(false);
                outcomes.Add(Found(daemon, now.FirstOrDefault(d => d.State == daemon.State) ?? daemon, []));
                continue;
            }
            catch (IpvsException e) when (e is not IpvsPermissionException)
            {
                await StopAsync(outcomes, cancellationToken).ConfigureAwait(false);
                throw SyncDaemonStartException.From(daemon, e);
            }
            var after = await ipvs.GetSyncDaemonsAsync(cancellationToken).ConfigureAwait(false);
            var started = after.FirstOrDefault(d => d.State == daemon.State) ?? daemon;
            outcomes.Add(new SyncDaemonOutcome(daemon, started, StartedByGorbLink: true, Difference: null));
            LogStarted(logger, role, started.Interface, started.SyncId, started.MulticastGroup?.ToString() ?? "default", started.MulticastPort ?? 0);
        }
        lock (_lock) _outcomes = outcomes;
        if (recordPath is null) return;
        try
        {
            SyncDaemonsFile.Write(recordPath, [.. outcomes.Select(o => o.ToStatus())]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only `gorblink status` and a restart after a crash read it; the daemons run without it.
            LogRecordFailed(logger, recordPath, e.Message);
        }
    }

    /// <summary>Stops the daemons GorbLink started; leaves the others running. Failures are logged, not thrown: this runs on exit.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<SyncDaemonOutcome> outcomes;
        lock (_lock)
        {
            outcomes = _outcomes;
            _outcomes = [];
        }
        await StopAsync(outcomes, cancellationToken).ConfigureAwait(false);
        if (recordPath is not null) SyncDaemonsFile.Delete(recordPath);
    }

    /// <summary>The kernel's daemons now, marked running (GorbLink's), foreign or stopped.</summary>
    public async Task<IReadOnlyList<SyncDaemonStatusEntry>> ReadAsync(CancellationToken cancellationToken)
    {
        var kernel = await ipvs.GetSyncDaemonsAsync(cancellationToken).ConfigureAwait(false);
        return SyncDaemonStatusEntry.Merge(kernel, [.. Outcomes.Select(o => o.ToStatus())]);
    }

    /// <summary>How <paramref name="running"/> differs from <paramref name="wanted"/> in what GorbLink was asked for; null when it does not.</summary>
    public static string? Difference(SyncDaemon wanted, SyncDaemon running)
    {
        var differences = new List<string>();
        if (running.Interface != wanted.Interface) differences.Add($"interface {running.Interface}, not {wanted.Interface}");
        if (running.SyncId != wanted.SyncId) differences.Add($"sync id {running.SyncId}, not {wanted.SyncId}");
        if (wanted.MulticastGroup is { } group && !group.Equals(running.MulticastGroup))
            differences.Add($"group {running.MulticastGroup?.ToString() ?? "default"}, not {group}");
        if (wanted.MulticastPort is { } port && port != running.MulticastPort)
            differences.Add($"port {running.MulticastPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}, not {port}");
        return differences.Count == 0 ? null : string.Join(", ", differences);
    }

    private async Task StopAsync(IEnumerable<SyncDaemonOutcome> outcomes, CancellationToken cancellationToken)
    {
        foreach (var outcome in outcomes.Where(o => o.StartedByGorbLink))
        {
            var role = SyncDaemonStatusEntry.RoleName(outcome.Running.State);
            try
            {
                await ipvs.StopSyncDaemonAsync(outcome.Running.State, cancellationToken).ConfigureAwait(false);
                LogStopped(logger, role, outcome.Running.Interface);
            }
            catch (IpvsException e) when (e.Errno.IsNotFound)
            {
                LogAlreadyStopped(logger, role, outcome.Running.Interface);
            }
            catch (Exception e) when (e is IpvsException or NetlinkException or OperationCanceledException)
            {
                LogStopFailed(logger, role, outcome.Running.Interface, e.Message);
            }
        }
    }

    /// <summary>
    /// A daemon runs in the role already. GorbLink's own from before a crash (sync-daemons.json recorded starting it with
    /// these settings) is adopted; anyone else's is left alone and reported.
    /// </summary>
    private SyncDaemonOutcome Found(SyncDaemon wanted, SyncDaemon present, IReadOnlyList<SyncDaemonStatusEntry> recorded)
    {
        var role = SyncDaemonStatusEntry.RoleName(wanted.State);
        var difference = Difference(wanted, present);
        if (difference is null && recorded.Any(r => r.Role == role && r.State == SyncDaemonStatusEntry.Running
                && r.Interface == present.Interface && r.SyncId == present.SyncId))
        {
            LogAdopted(logger, role, present.Interface, present.SyncId);
            return new SyncDaemonOutcome(wanted, present, StartedByGorbLink: true, Difference: null);
        }
        if (difference is null) LogForeign(logger, role, present.Interface, present.SyncId);
        else LogForeignDifferent(logger, role, present.Interface, present.SyncId, difference);
        return new SyncDaemonOutcome(wanted, present, StartedByGorbLink: false, difference);
    }

    [LoggerMessage(EventId = 3501, EventName = "SyncDaemonStarted", Level = LogLevel.Information,
        Message = "started the {Role} sync daemon on {Interface}, sync id {SyncId}, group {Group}, port {Port}")]
    private static partial void LogStarted(ILogger logger, string role, string @interface, uint syncId, string group, int port);

    [LoggerMessage(EventId = 3502, EventName = "SyncDaemonForeign", Level = LogLevel.Warning,
        Message = "a {Role} sync daemon GorbLink did not start runs already on {Interface}, sync id {SyncId}: left alone, and left running on exit")]
    private static partial void LogForeign(ILogger logger, string role, string @interface, uint syncId);

    [LoggerMessage(EventId = 3503, EventName = "SyncDaemonForeignDifferent", Level = LogLevel.Warning,
        Message = "a {Role} sync daemon GorbLink did not start runs already on {Interface}, sync id {SyncId}, with other settings ({Difference}): left alone; stop it (ipvsadm --stop-daemon) to use GorbLink's")]
    private static partial void LogForeignDifferent(ILogger logger, string role, string @interface, uint syncId, string difference);

    [LoggerMessage(EventId = 3504, EventName = "SyncDaemonAdopted", Level = LogLevel.Information,
        Message = "the {Role} sync daemon on {Interface}, sync id {SyncId}, that GorbLink started before runs still: adopted")]
    private static partial void LogAdopted(ILogger logger, string role, string @interface, uint syncId);

    [LoggerMessage(EventId = 3505, EventName = "SyncDaemonStopped", Level = LogLevel.Information,
        Message = "stopped the {Role} sync daemon on {Interface}")]
    private static partial void LogStopped(ILogger logger, string role, string @interface);

    [LoggerMessage(EventId = 3506, EventName = "SyncDaemonAlreadyStopped", Level = LogLevel.Information,
        Message = "the {Role} sync daemon on {Interface} was stopped already (ESRCH)")]
    private static partial void LogAlreadyStopped(ILogger logger, string role, string @interface);

    [LoggerMessage(EventId = 3507, EventName = "SyncDaemonStopFailed", Level = LogLevel.Warning,
        Message = "cannot stop the {Role} sync daemon on {Interface}: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string role, string @interface, string reason);

    [LoggerMessage(EventId = 3508, EventName = "SyncDaemonRecordFailed", Level = LogLevel.Warning,
        Message = "cannot record the sync daemons in {Path}: {Reason}; `gorblink status` will show them as foreign")]
    private static partial void LogRecordFailed(ILogger logger, string path, string reason);
}
