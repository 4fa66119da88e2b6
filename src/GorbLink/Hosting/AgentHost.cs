using GorbLink.Cli;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Docker;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NLog.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// `gorblink run`: checks what it needs before starting (interface, IPVS, ownership file, Docker), so a missing part
/// is one clear line and a telling exit code, then runs the agent on the generic host until SIGTERM.
/// </summary>
internal static partial class AgentHost
{
    public static async Task<int> RunAsync(RunOptions options, CancellationToken cancellationToken)
    {
        // -r: GORB daemons instead of (with --local, besides) this host's kernel; see RemoteAgentHost.
        if (options.Remotes.Count > 0) return await RemoteAgentHost.RunAsync(options, cancellationToken).ConfigureAwait(false);

        var startedAt = DateTimeOffset.UtcNow;
        var logging = Logging.Configure(options.LogFormat, options.Verbose);
        using var loggerFactory = LoggerFactory.Create(b => b.AddNLog(logging));
        var log = loggerFactory.CreateLogger("GorbLink");

        IReadOnlyList<System.Net.IPAddress> addresses;
        Uri endpoint;
        try
        {
            addresses = InterfaceAddresses.Of(options.Interface);
            endpoint = DockerEndpoint.Resolve(options.DockerHost);
        }
        catch (ArgumentException e)
        {
            LogStartFailed(log, e.Message);
            return ExitCodes.BadInput;
        }

        var (ownership, ownershipFailure) = StartupChecks.LoadOwnership(options);
        if (ownership is null)
        {
            LogStartFailed(log, ownershipFailure!.Value.Reason);
            return ownershipFailure.Value.ExitCode;
        }

        var (kernel, ipvsFailure) = await StartupChecks.OpenIpvsAsync(cancellationToken).ConfigureAwait(false);
        IIpvsClient ipvs;
        if (kernel is not null) ipvs = kernel;
        else if (ipvsFailure is { ExitCode: ExitCodes.NoIpvs } && options.DryRun)
        {
            // A dry run writes nothing: plan against an empty table, so it can show what it would do on any machine.
            LogDryRunWithoutIpvs(log, ipvsFailure.Value.Reason);
            ipvs = new NoKernelIpvsClient();
        }
        else
        {
            LogStartFailed(log, ipvsFailure!.Value.Reason);
            return ipvsFailure.Value.ExitCode;
        }

        await using var _ = ipvs;
        var (features, featuresExit, featuresReason) = AgentFeatures.Prepare(options, ownership, loggerFactory);
        if (features is null)
        {
            LogStartFailed(log, featuresReason!);
            return featuresExit;
        }
        var connector = new DockerConnector(loggerFactory.CreateLogger<DockerConnector>());
        var (engineVersion, apiVersion, dockerFailure) = await StartupChecks.ProbeDockerAsync(connector, endpoint, cancellationToken).ConfigureAwait(false);
        if (dockerFailure is { } failure)
        {
            LogStartFailed(log, failure.Reason);
            return failure.ExitCode;
        }
        LogDocker(log, endpoint.ToString(), engineVersion, apiVersion);

        var labelOptions = LabelOptions.ForInterface(addresses, options.LabelPrefix, options.ExposeByDefault);
        LogStarting(log, options.Interface, labelOptions.EffectiveDefaultVip?.ToString() ?? "none", options.LabelPrefix,
            options.DryRun ? " (dry run: nothing will be changed)" : "");

        var builder = StartupChecks.AgentHostBuilder(logging);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ContainerStore>();
        builder.Services.AddSingleton(connector);
        builder.Services.AddSingleton<IIpvsClient>(ipvs);
        builder.Services.AddSingleton(ownership);
        builder.Services.AddSingleton(new AgentSettings(options.CleanupOnExit, startedAt));
        builder.Services.AddSingleton(sp => new DockerWatcher(
            new DockerWatcherOptions { Endpoint = endpoint, ResyncInterval = options.ResyncInterval },
            sp.GetRequiredService<ContainerStore>(), connector, sp.GetRequiredService<ILogger<DockerWatcher>>(), TimeProvider.System));
        builder.Services.AddSingleton(sp => StartupChecks.KernelLoop(sp.GetRequiredService<ContainerStore>(), labelOptions, ipvs, ownership, options, sp));
        AgentFeatures.AddTo(builder.Services, features, startedAt);
        builder.Services.AddHostedService<AgentService>();

        using var host = builder.Build();
        Environment.ExitCode = ExitCodes.Success;
        try
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Metrics.MetricsListenException e)
        {
            LogStartFailed(log, e.Message);
            return ExitCodes.BadInput;
        }
        return Environment.ExitCode;
    }

    [LoggerMessage(EventId = 1010, EventName = "StartFailed", Level = LogLevel.Critical, Message = "cannot start: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1011, EventName = "DockerConnected", Level = LogLevel.Information,
        Message = "Docker Engine {EngineVersion} at {Endpoint}, speaking API {ApiVersion}")]
    private static partial void LogDocker(ILogger logger, string endpoint, string engineVersion, string apiVersion);

    [LoggerMessage(EventId = 1013, EventName = "DryRunWithoutIpvs", Level = LogLevel.Warning,
        Message = "{Reason}; dry run: planning against an empty IPVS table")]
    private static partial void LogDryRunWithoutIpvs(ILogger logger, string reason);

    [LoggerMessage(EventId = 1012, EventName = "AgentStarting", Level = LogLevel.Information,
        Message = "watching containers; interface {Interface}, default VIP {Vip}, labels {Prefix}.*{DryRun}")]
    private static partial void LogStarting(ILogger logger, string @interface, string vip, string prefix, string dryRun);
}
