using GorbLink.Cli;
using GorbLink.Core.Reconcile;
using GorbLink.Docker;
using GorbLink.Remote.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// `gorblink run -r host:port ...`: the same Docker source, desired state and pipeline as the kernel agent, with one GORB
/// daemon sink per -r instead of (or, with --local, besides) the kernel. <see cref="AgentHost"/> runs it; these are its
/// own start-up lines (their event ids differ from the kernel agent's, and users filter on them).
/// </summary>
internal static partial class RemoteAgentHost
{
    /// <summary>The first flag given that only acts on this host's kernel agent (--local), or null.</summary>
    internal static string? KernelOnlyFlag(RunOptions options) =>
        options.MetricsListen is not null ? "--metrics-listen"
        : options.OtlpEndpoint is not null ? "--otlp-endpoint"
        : options.VipInterface is not null ? "--vip-interface"
        : options.SetSysctls ? "--set-sysctls"
        : options.IpvsTimeouts is not null ? Cli.IpvsTimeoutOptions.Name
        : options.SyncDaemon is not null ? "--sync-daemon"
        : null;

    // 1030 RemoteStartFailed and 1031 RemoteDockerConnected: StartupLog.RemoteAgent.
    [LoggerMessage(EventId = 1032, EventName = "RemoteAgentStarting", Level = LogLevel.Information,
        Message = "watching containers for GORB daemons {Daemons}; this host's kernel: {Local}; labels {Prefix}.*{DryRun}")]
    internal static partial void LogStarting(ILogger logger, string daemons, string local, string prefix, string dryRun);
}

/// <summary>
/// Runs the Docker watcher (which only updates the container store) and the one pipeline that drives the remote sinks
/// and, with --local, the kernel sink, side by side. A fatal failure of any stops the process with an exit code saying
/// which (the part is "reconcile" when the kernel sink failed, "remote" for a daemon's).
/// </summary>
internal sealed partial class RemoteAgentService(
    DockerWatcher watcher,
    RemoteAgent remote,
    ReconcileLoop? kernel,
    AgentSettings settings,
    IHostApplicationLifetime lifetime,
    ILogger<RemoteAgentService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        // The kernel's loop (--local) is a view of the remote agent's pipeline: running the pipeline runs both.
        await Task.WhenAll(
            Guard(() => "docker", watcher.RunAsync(failed.Token), failed),
            Guard(() => remote.Pipeline.FailedRunner?.Sink is KernelSink ? "reconcile" : "remote", remote.RunAsync(failed.Token), failed)).ConfigureAwait(false);
        if (!stoppingToken.IsCancellationRequested) lifetime.StopApplication();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!settings.CleanupOnExit) return;
        foreach (var problem in await remote.CleanupAsync(cancellationToken).ConfigureAwait(false))
        {
            LogCleanupFailed(logger, problem);
            Environment.ExitCode = ExitCodes.Failure;
        }
        if (kernel is null) return;
        try
        {
            await kernel.Reconciler.CleanupAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCleanupFailed(logger, e.Message);
            Environment.ExitCode = ExitCodes.Failure;
        }
    }

    private async Task Guard(Func<string> part, Task task, CancellationTokenSource failed)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogFatal(logger, part(), e.Message);
            Environment.ExitCode = e is GorbLinkDockerException ? ExitCodes.NoDocker : ExitCodes.Failure;
            await failed.CancelAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1033, EventName = "RemoteAgentFatal", Level = LogLevel.Critical, Message = "{Part} stopped: {Reason}")]
    private static partial void LogFatal(ILogger logger, string part, string reason);

    [LoggerMessage(EventId = 1034, EventName = "RemoteCleanupFailed", Level = LogLevel.Error, Message = "cleanup on exit: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string reason);
}
