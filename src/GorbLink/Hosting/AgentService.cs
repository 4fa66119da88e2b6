using GorbLink.Core.Reconcile;
using GorbLink.Core.Vips;
using GorbLink.Docker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// Runs the two halves of the agent side by side: the Docker watcher (which only updates the container store)
/// and the reconcile loop (the only writer to the kernel). Either failing stops the process with an exit code
/// that says what failed. On shutdown the kernel is left serving unless --cleanup-on-exit.
/// </summary>
internal sealed partial class AgentService(
    DockerWatcher watcher,
    ReconcileLoop loop,
    AgentSettings settings,
    IHostApplicationLifetime lifetime,
    ILogger<AgentService> logger,
    VipManager? vips = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var watching = Guard("docker", watcher.RunAsync(failed.Token), failed);
        var reconciling = Guard("reconcile", loop.RunAsync(failed.Token), failed);
        _ = ReportFirstPassAsync(stoppingToken);
        await Task.WhenAll(watching, reconciling).ConfigureAwait(false);
        if (!stoppingToken.IsCancellationRequested) lifetime.StopApplication();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!settings.CleanupOnExit) return;
        try
        {
            var result = await loop.Reconciler.CleanupAsync(cancellationToken).ConfigureAwait(false);
            LogCleanedUp(logger, result.Plan.Summary());
            // The services are gone, and with them the VIPs GorbLink added for them (--vip-interface).
            if (vips is not null) await vips.ReleaseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCleanupFailed(logger, e.Message);
            Environment.ExitCode = ExitCodes.Failure;
        }
    }

    private async Task ReportFirstPassAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await loop.FirstPassCompleted.WaitAsync(cancellationToken).ConfigureAwait(false);
            LogReady(logger, (DateTimeOffset.UtcNow - settings.StartedAt).TotalMilliseconds, result.Plan.Summary());
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task Guard(string part, Task task, CancellationTokenSource failed)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
        }
        catch (GorbLinkDockerException e)
        {
            LogFatal(logger, part, e.Message);
            Environment.ExitCode = ExitCodes.NoDocker;
            await failed.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogFatal(logger, part, e.Message);
            Environment.ExitCode = ExitCodes.Failure;
            await failed.CancelAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1001, EventName = "AgentReady", Level = LogLevel.Information,
        Message = "first reconcile done {ElapsedMs:0} ms after start: {Summary}")]
    private static partial void LogReady(ILogger logger, double elapsedMs, string summary);

    [LoggerMessage(EventId = 1002, EventName = "AgentFatal", Level = LogLevel.Critical, Message = "{Part} stopped: {Reason}")]
    private static partial void LogFatal(ILogger logger, string part, string reason);

    [LoggerMessage(EventId = 1003, EventName = "CleanedUp", Level = LogLevel.Information, Message = "cleanup on exit: {Summary}")]
    private static partial void LogCleanedUp(ILogger logger, string summary);

    [LoggerMessage(EventId = 1004, EventName = "CleanupFailed", Level = LogLevel.Error, Message = "cleanup on exit failed: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string reason);
}

/// <summary>What the host needs to know beyond the components themselves.</summary>
internal sealed record AgentSettings(bool CleanupOnExit, DateTimeOffset StartedAt);
