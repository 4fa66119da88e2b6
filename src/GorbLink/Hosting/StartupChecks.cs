using GorbLink.Cli;
using GorbLink.Core.Ownership;
using GorbLink.Docker;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NLog.Config;
using NLog.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>What start-up failed on: the exit code that says so, and the one line that explains it.</summary>
internal readonly record struct StartupFailure(int ExitCode, string Reason);

/// <summary>
/// The start-up steps `run` (with or without -r) and `serve` share. Each returns a failure instead of logging it, so
/// every command keeps its own start-failure event id.
/// </summary>
internal static class StartupChecks
{
    /// <summary>Reads state.json, what this agent created in the kernel; a damaged file stops the start.</summary>
    public static (OwnershipStore? Ownership, StartupFailure? Failure) LoadOwnership(RunOptions options)
    {
        var ownership = new OwnershipStore(new OwnershipOptions { Path = options.StateFile, LabelPrefix = options.LabelPrefix });
        try
        {
            ownership.Load();
            return (ownership, null);
        }
        catch (OwnershipFileException e)
        {
            return (null, new StartupFailure(ExitCodes.BadInput, e.Message));
        }
    }

    /// <summary>Opens the IPVS client and checks the kernel answers (GET_INFO).</summary>
    public static async Task<(IpvsNetlinkClient? Ipvs, StartupFailure? Failure)> OpenIpvsAsync(CancellationToken cancellationToken)
    {
        IpvsNetlinkClient? client = null;
        try
        {
            client = await IpvsNetlinkClient.OpenAsync(cancellationToken).ConfigureAwait(false);
            await client.GetInfoAsync(cancellationToken).ConfigureAwait(false);
            return (client, null);
        }
        catch (IpvsUnavailableException e)
        {
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            return (null, new StartupFailure(ExitCodes.NoIpvs, e.Message));
        }
        catch (IpvsPermissionException e)
        {
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            return (null, new StartupFailure(ExitCodes.NoPermission, e.Message));
        }
    }

    /// <summary>Connects to the engine once, to fail fast with a clear reason; the watcher reconnects on its own later.</summary>
    public static async Task<(string EngineVersion, string ApiVersion, StartupFailure? Failure)> ProbeDockerAsync(
        DockerConnector connector, Uri endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var probe = await connector.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return (probe.EngineVersion, probe.ApiVersion.ToString(), null);
        }
        catch (GorbLinkDockerException e)
        {
            return ("", "", new StartupFailure(ExitCodes.NoDocker, e.Message));
        }
    }

    /// <summary>The generic host of `run`: NLog only, and time enough at shutdown for --cleanup-on-exit.</summary>
    public static HostApplicationBuilder AgentHostBuilder(LoggingConfiguration logging)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddNLog(logging);
        // The daemons' HTTP resilience pipelines would log every attempt during an outage; the sinks log what matters
        // themselves (failures with backoff, breaker transitions), once.
        builder.Logging.AddFilter("Polly", LogLevel.None);
        builder.Services.Configure<HostOptions>(o =>
        {
            // Cleanup on exit deletes everything owned in one batch; leave it time on a loaded host.
            o.ShutdownTimeout = TimeSpan.FromSeconds(60);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        return builder;
    }
}
