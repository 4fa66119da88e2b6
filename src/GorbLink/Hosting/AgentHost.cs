using GorbLink.Cli;
using GorbLink.Core.Labels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NLog.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// `gorblink run` (and `run -r`): the pre-flight (<see cref="AgentPreflight"/>) checks what the chosen sinks need, so a
/// missing part is one clear line and a telling exit code; then the agent is composed (<see cref="GorbLinkServiceCollectionExtensions"/>)
/// and runs on the generic host until SIGTERM.
/// </summary>
internal static partial class AgentHost
{
    public static async Task<int> RunAsync(RunOptions options, CancellationToken cancellationToken)
    {
        // -r: GORB daemons instead of (with --local, besides) this host's kernel; its lines keep their own event ids.
        var remote = options.Remotes.Count > 0;
        var startedAt = DateTimeOffset.UtcNow;
        var logging = Logging.Configure(options.LogFormat, options.Verbose);
        using var loggerFactory = LoggerFactory.Create(b => b.AddNLog(logging));
        var log = loggerFactory.CreateLogger("GorbLink");

        var (agent, failure) = await AgentPreflight.CheckAsync(options, loggerFactory, log, cancellationToken).ConfigureAwait(false);
        if (agent is null)
        {
            if (remote) RemoteAgentHost.LogStartFailed(log, failure!.Value.Reason);
            else LogStartFailed(log, failure!.Value.Reason);
            return failure.Value.ExitCode;
        }
        await using var _ = agent.Ipvs;
        var (syncDaemons, syncFailure) = agent.Ipvs is { } kernel
            ? await SyncDaemonsStep.StartAsync(options.SyncDaemon, kernel, options.StateDirectory, options.DryRun, loggerFactory, cancellationToken).ConfigureAwait(false)
            : (null, null);
        if (syncFailure is { } sync)
        {
            if (remote) RemoteAgentHost.LogStartFailed(log, sync.Reason);
            else LogStartFailed(log, sync.Reason);
            return sync.ExitCode;
        }
        await using var stopSyncDaemons = SyncDaemonsStep.StopOnExit(syncDaemons);

        var labelOptions = LabelOptions.ForInterface(agent.Addresses, options.LabelPrefix, options.ExposeByDefault);
        var dryRun = options.DryRun ? " (dry run: nothing will be changed)" : "";
        if (remote)
        {
            RemoteAgentHost.LogDocker(log, agent.DockerEndpoint.ToString(), agent.EngineVersion, agent.ApiVersion);
            RemoteAgentHost.LogStarting(log, string.Join(", ", agent.Remote!.Endpoints), options.Local ? "also programs" : "does not touch",
                options.LabelPrefix, dryRun);
        }
        else
        {
            LogDocker(log, agent.DockerEndpoint.ToString(), agent.EngineVersion, agent.ApiVersion);
            LogStarting(log, options.Interface, labelOptions.EffectiveDefaultVip?.ToString() ?? "none", options.LabelPrefix, dryRun);
        }

        var builder = StartupChecks.AgentHostBuilder(logging);
        builder.Services.AddGorbLinkAgent(agent, labelOptions, options, loggerFactory, startedAt);
        if (syncDaemons is not null) builder.Services.AddSingleton(syncDaemons); // for /metrics

        using var host = builder.Build();
        Environment.ExitCode = ExitCodes.Success;
        try
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Metrics.MetricsListenException e)
        {
            if (remote) RemoteAgentHost.LogStartFailed(log, e.Message);
            else LogStartFailed(log, e.Message);
            return ExitCodes.BadInput;
        }
        return Environment.ExitCode;
    }

    [LoggerMessage(EventId = 1010, EventName = "StartFailed", Level = LogLevel.Critical, Message = "cannot start: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1011, EventName = "DockerConnected", Level = LogLevel.Information,
        Message = "Docker Engine {EngineVersion} at {Endpoint}, speaking API {ApiVersion}")]
    private static partial void LogDocker(ILogger logger, string endpoint, string engineVersion, string apiVersion);

    [LoggerMessage(EventId = 1012, EventName = "AgentStarting", Level = LogLevel.Information,
        Message = "watching containers; interface {Interface}, default VIP {Vip}, labels {Prefix}.*{DryRun}")]
    private static partial void LogStarting(ILogger logger, string @interface, string vip, string prefix, string dryRun);
}
