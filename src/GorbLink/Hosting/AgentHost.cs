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
        var startup = remote ? StartupLog.RemoteAgent : StartupLog.Agent;

        var (agent, failure) = await AgentPreflight.CheckAsync(options, loggerFactory, log, cancellationToken).ConfigureAwait(false);
        if (agent is null)
        {
            startup.StartFailed(log, failure!.Value.Reason);
            return failure.Value.ExitCode;
        }
        await using var _ = agent.Ipvs;
        var (syncDaemons, syncFailure) = agent.Ipvs is { } kernel
            ? await SyncDaemonsStep.StartAsync(options.SyncDaemon, kernel, options.StateDirectory, options.DryRun, loggerFactory, cancellationToken).ConfigureAwait(false)
            : (null, null);
        if (syncFailure is { } sync)
        {
            startup.StartFailed(log, sync.Reason);
            return sync.ExitCode;
        }
        await using var stopSyncDaemons = SyncDaemonsStep.StopOnExit(syncDaemons);

        var labelOptions = LabelOptions.ForInterface(agent.Addresses, options.LabelPrefix, options.ExposeByDefault);
        var dryRun = options.DryRun ? " (dry run: nothing will be changed)" : "";
        startup.DockerConnected(log, agent.DockerEndpoint.ToString(), agent.EngineVersion, agent.ApiVersion);
        if (remote)
        {
            RemoteAgentHost.LogStarting(log, string.Join(", ", agent.Remote!.Endpoints), options.Local ? "also programs" : "does not touch",
                options.LabelPrefix, dryRun);
        }
        else
        {
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
            startup.StartFailed(log, e.Message);
            return ExitCodes.BadInput;
        }
        return Environment.ExitCode;
    }

    // 1010 StartFailed and 1011 DockerConnected: StartupLog.Agent.
    [LoggerMessage(EventId = 1012, EventName = "AgentStarting", Level = LogLevel.Information,
        Message = "watching containers; interface {Interface}, default VIP {Vip}, labels {Prefix}.*{DryRun}")]
    private static partial void LogStarting(ILogger logger, string @interface, string vip, string prefix, string dryRun);
}
