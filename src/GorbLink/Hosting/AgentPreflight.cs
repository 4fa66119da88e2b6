using System.Net;
using GorbLink.Cli;
using GorbLink.Core.Ownership;
using GorbLink.Docker;
using GorbLink.Ipvs;
using GorbLink.Remote.Client;
using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>What the pre-flight of `run` found and opened; the host composes from it (<see cref="GorbLinkServiceCollectionExtensions"/>).</summary>
/// <param name="Ipvs">The kernel's IPVS client when the kernel is a sink (disposed by the host).</param>
internal sealed record PreparedAgent(
    IReadOnlyList<IPAddress> Addresses,
    Uri DockerEndpoint,
    DockerConnector Connector,
    string EngineVersion,
    string ApiVersion,
    RemoteOptions? Remote,
    OwnershipStore? Ownership,
    IIpvsClient? Ipvs,
    AgentFeatures.Prepared? Features)
{
    /// <summary>True when this host's kernel is a sink: `run`, or `run -r … --local`.</summary>
    public bool Kernel => Ipvs is not null;
}

/// <summary>
/// The one pre-flight of `run` with or without -r: checks everything the chosen sinks need before starting (interface,
/// Docker endpoint, the daemons' and the kernel's ownership files, IPVS, the opt-in features, Docker), so that a missing
/// part is one clear line and a telling exit code. Returns the failure instead of logging it: `run` and `run -r` keep
/// their own start-failure event ids.
/// </summary>
internal static partial class AgentPreflight
{
    public static async Task<(PreparedAgent? Agent, StartupFailure? Failure)> CheckAsync(
        RunOptions options, ILoggerFactory loggerFactory, ILogger log, CancellationToken cancellationToken)
    {
        var remote = options.Remotes.Count > 0;
        IReadOnlyList<RemoteEndpoint> endpoints;
        IReadOnlyList<IPAddress> addresses;
        Uri dockerEndpoint;
        try
        {
            endpoints = [.. options.Remotes.Select(RemoteEndpoint.Parse)];
            addresses = InterfaceAddresses.Of(options.Interface);
            dockerEndpoint = DockerEndpoint.Resolve(options.DockerHost);
        }
        catch (ArgumentException e)
        {
            return (null, new StartupFailure(ExitCodes.BadInput, e.Message));
        }

        RemoteOptions? remoteOptions = null;
        if (remote)
        {
            if (!options.Local && RemoteAgentHost.KernelOnlyFlag(options) is { } flag)
                return (null, new StartupFailure(ExitCodes.BadInput,
                    $"{flag} works on this host's kernel, which -r leaves alone: add --local, or use it on the director (gorblink serve)"));
            remoteOptions = new RemoteOptions
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
                    return (null, new StartupFailure(ExitCodes.BadInput, e.Message));
                }
            }
        }

        OwnershipStore? ownership = null;
        IIpvsClient? ipvs = null;
        AgentFeatures.Prepared? features = null;
        if (!remote || options.Local)
        {
            (ownership, var ownershipFailure) = StartupChecks.LoadOwnership(options);
            if (ownershipFailure is { } damaged) return (null, damaged);
            var (kernel, ipvsFailure) = await StartupChecks.OpenIpvsAsync(cancellationToken).ConfigureAwait(false);
            if (kernel is not null) ipvs = kernel;
            else if (!remote && ipvsFailure is { ExitCode: ExitCodes.NoIpvs } && options.DryRun)
            {
                // A dry run writes nothing: plan against an empty table, so it can show what it would do on any machine.
                LogDryRunWithoutIpvs(log, ipvsFailure.Value.Reason);
                ipvs = new NoKernelIpvsClient();
            }
            else return (null, ipvsFailure);

            (features, var featuresExit, var featuresReason) = AgentFeatures.Prepare(options, ownership!, loggerFactory);
            if (features is not null && options.IpvsTimeouts is { } timeouts
                && await IpvsTimeoutsStep.ApplyAsync(ipvs, timeouts, options.DryRun, log, cancellationToken).ConfigureAwait(false) is { } timeoutsFailure)
                (features, featuresExit, featuresReason) = (null, timeoutsFailure.ExitCode, timeoutsFailure.Reason);
            if (features is null)
            {
                await ipvs.DisposeAsync().ConfigureAwait(false);
                return (null, new StartupFailure(featuresExit, featuresReason!));
            }
        }

        var connector = new DockerConnector(loggerFactory.CreateLogger<DockerConnector>());
        var (engineVersion, apiVersion, dockerFailure) = await StartupChecks.ProbeDockerAsync(connector, dockerEndpoint, cancellationToken).ConfigureAwait(false);
        if (dockerFailure is { } docker)
        {
            if (ipvs is not null) await ipvs.DisposeAsync().ConfigureAwait(false);
            return (null, docker);
        }
        return (new PreparedAgent(addresses, dockerEndpoint, connector, engineVersion, apiVersion, remoteOptions, ownership, ipvs, features), null);
    }

    [LoggerMessage(EventId = 1013, EventName = "DryRunWithoutIpvs", Level = LogLevel.Warning,
        Message = "{Reason}; dry run: planning against an empty IPVS table")]
    private static partial void LogDryRunWithoutIpvs(ILogger logger, string reason);
}
