using GorbLink.Cli;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Docker;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;
using GorbLink.Remote.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NLog.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// `gorblink run -r host:port ...`: the same Docker side and desired state as the kernel agent, with one GORB daemon
/// sink per -r instead of (or, with --local, besides) the kernel. Checks what it needs first, like <see cref="AgentHost"/>.
/// </summary>
internal static partial class RemoteAgentHost
{
    public static async Task<int> RunAsync(RunOptions options, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var logging = Logging.Configure(options.LogFormat, options.Verbose);
        using var loggerFactory = LoggerFactory.Create(b => b.AddNLog(logging));
        var log = loggerFactory.CreateLogger("GorbLink");

        IReadOnlyList<RemoteEndpoint> endpoints;
        IReadOnlyList<System.Net.IPAddress> addresses;
        Uri dockerEndpoint;
        try
        {
            endpoints = [.. options.Remotes.Select(RemoteEndpoint.Parse)];
            addresses = InterfaceAddresses.Of(options.Interface);
            dockerEndpoint = DockerEndpoint.Resolve(options.DockerHost);
        }
        catch (ArgumentException e)
        {
            LogStartFailed(log, e.Message);
            return ExitCodes.BadInput;
        }

        if (!options.Local && KernelOnlyFlag(options) is { } flag)
        {
            LogStartFailed(log, $"{flag} works on this host's kernel, which -r leaves alone: add --local, or use it on the director (gorblink serve)");
            return ExitCodes.BadInput;
        }

        var remoteOptions = new RemoteOptions
        {
            Endpoints = endpoints,
            Token = options.RemoteToken,
            StateDirectory = options.StateDirectory,
            ResyncInterval = options.ResyncInterval,
            DryRun = options.DryRun,
            ReportContainerProblems = !options.Local,
        };
        // A damaged ownership file of a daemon is a start failure, not a surprise later.
        foreach (var endpoint in endpoints)
        {
            try
            {
                new RemoteOwnership(remoteOptions.OwnershipPath(endpoint), endpoint.Name).Load();
            }
            catch (RemoteOwnershipException e)
            {
                LogStartFailed(log, e.Message);
                return ExitCodes.BadInput;
            }
        }

        OwnershipStore? ownership = null;
        IpvsNetlinkClient? ipvs = null;
        if (options.Local)
        {
            (ownership, var ownershipFailure) = StartupChecks.LoadOwnership(options);
            if (ownershipFailure is { } damaged)
            {
                LogStartFailed(log, damaged.Reason);
                return damaged.ExitCode;
            }
            (ipvs, var ipvsFailure) = await StartupChecks.OpenIpvsAsync(cancellationToken).ConfigureAwait(false);
            if (ipvsFailure is { } failure)
            {
                LogStartFailed(log, failure.Reason);
                return failure.ExitCode;
            }
        }
        await using var _ = ipvs;
        AgentFeatures.Prepared? features = null;
        if (ownership is not null)
        {
            (features, var featuresExit, var featuresReason) = AgentFeatures.Prepare(options, ownership, loggerFactory);
            if (features is null)
            {
                LogStartFailed(log, featuresReason!);
                return featuresExit;
            }
        }

        var connector = new DockerConnector(loggerFactory.CreateLogger<DockerConnector>());
        var (engineVersion, apiVersion, dockerFailure) = await StartupChecks.ProbeDockerAsync(connector, dockerEndpoint, cancellationToken).ConfigureAwait(false);
        if (dockerFailure is { } docker)
        {
            LogStartFailed(log, docker.Reason);
            return docker.ExitCode;
        }
        LogDocker(log, dockerEndpoint.ToString(), engineVersion, apiVersion);

        var labelOptions = LabelOptions.ForInterface(addresses, options.LabelPrefix, options.ExposeByDefault);
        LogStarting(log, string.Join(", ", endpoints), options.Local ? "also programs" : "does not touch", options.LabelPrefix,
            options.DryRun ? " (dry run: nothing will be changed)" : "");

        var builder = StartupChecks.AgentHostBuilder(logging);
        var store = new ContainerStore();
        var remote = RemoteAgent.Create(store, labelOptions, remoteOptions, loggerFactory, TimeProvider.System);
        await using var __ = remote;
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(remote);
        builder.Services.AddSingleton(new AgentSettings(options.CleanupOnExit, startedAt));
        builder.Services.AddSingleton(sp => new DockerWatcher(
            new DockerWatcherOptions { Endpoint = dockerEndpoint, ResyncInterval = options.ResyncInterval },
            store, connector, sp.GetRequiredService<ILogger<DockerWatcher>>(), TimeProvider.System));
        if (ipvs is not null && ownership is not null && features is not null)
        {
            builder.Services.AddSingleton<IIpvsClient>(ipvs);
            builder.Services.AddSingleton(ownership);
            builder.Services.AddSingleton(sp => StartupChecks.KernelLoop(store, labelOptions, ipvs, ownership, options, sp));
            AgentFeatures.AddTo(builder.Services, features, startedAt);
        }
        builder.Services.AddHostedService(sp => new RemoteAgentService(
            sp.GetRequiredService<DockerWatcher>(), remote, sp.GetService<ReconcileLoop>(), sp.GetRequiredService<AgentSettings>(),
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<RemoteAgentService>>()));

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

    /// <summary>The first flag given that only acts on this host's kernel agent (--local), or null.</summary>
    internal static string? KernelOnlyFlag(RunOptions options) =>
        options.MetricsListen is not null ? "--metrics-listen"
        : options.VipInterface is not null ? "--vip-interface"
        : options.SetSysctls ? "--set-sysctls"
        : null;

    [LoggerMessage(EventId = 1030, EventName = "RemoteStartFailed", Level = LogLevel.Critical, Message = "cannot start: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1031, EventName = "RemoteDockerConnected", Level = LogLevel.Information,
        Message = "Docker Engine {EngineVersion} at {Endpoint}, speaking API {ApiVersion}")]
    private static partial void LogDocker(ILogger logger, string endpoint, string engineVersion, string apiVersion);

    [LoggerMessage(EventId = 1032, EventName = "RemoteAgentStarting", Level = LogLevel.Information,
        Message = "watching containers for GORB daemons {Daemons}; this host's kernel: {Local}; labels {Prefix}.*{DryRun}")]
    private static partial void LogStarting(ILogger logger, string daemons, string local, string prefix, string dryRun);
}

/// <summary>
/// Runs the Docker watcher (which only updates the container store), the remote sinks, and with --local the kernel
/// reconcile loop, side by side. A fatal failure of any stops the process with an exit code saying which.
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
        var tasks = new List<Task>
        {
            Guard("docker", watcher.RunAsync(failed.Token), failed),
            Guard("remote", remote.RunAsync(failed.Token), failed),
        };
        if (kernel is not null) tasks.Add(Guard("reconcile", kernel.RunAsync(failed.Token), failed));
        await Task.WhenAll(tasks).ConfigureAwait(false);
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

    private async Task Guard(string part, Task task, CancellationTokenSource failed)
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
            LogFatal(logger, part, e.Message);
            Environment.ExitCode = e is GorbLinkDockerException ? ExitCodes.NoDocker : ExitCodes.Failure;
            await failed.CancelAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1033, EventName = "RemoteAgentFatal", Level = LogLevel.Critical, Message = "{Part} stopped: {Reason}")]
    private static partial void LogFatal(ILogger logger, string part, string reason);

    [LoggerMessage(EventId = 1034, EventName = "RemoteCleanupFailed", Level = LogLevel.Error, Message = "cleanup on exit: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string reason);
}
