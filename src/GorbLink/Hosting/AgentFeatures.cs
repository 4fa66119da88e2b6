using System.Diagnostics.Metrics;
using System.Net;
using GorbLink.Cli;
using GorbLink.Core.Metrics;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Core.Vips;
using GorbLink.Docker;
using GorbLink.Ipvs;
using GorbLink.Metrics;
using GorbLink.Remote.Metrics;
using GorbLink.Netlink.Route;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// The opt-in parts of `gorblink run` around the agent itself: --set-sysctls, --vip-interface, --metrics-listen and --otlp-endpoint.
/// <see cref="AgentPreflight"/> calls <see cref="Prepare"/>; the composition root calls <see cref="AddTo"/>
/// and <see cref="Observe"/> on the reconcile loop (<see cref="GorbLinkServiceCollectionExtensions"/>).
/// </summary>
internal static partial class AgentFeatures
{
    /// <summary>What <see cref="Prepare"/> set up for the host.</summary>
    internal sealed record Prepared(VipManager? Vips, IPEndPoint? MetricsEndpoint, MetricsExportOptions Export);

    /// <summary>
    /// Writes the sysctls (--set-sysctls), checks the --vip-interface and reads vips.json. Returns the exit code and the
    /// reason when the agent must not start.
    /// </summary>
    public static (Prepared? Prepared, int ExitCode, string? Reason) Prepare(RunOptions options, OwnershipStore ownership, ILoggerFactory loggerFactory)
    {
        if (options.SetSysctls)
        {
            var sysctls = new Sysctls(loggerFactory.CreateLogger("GorbLink.Sysctls"));
            try
            {
                sysctls.Apply(Sysctls.ForNat, options.DryRun);
            }
            catch (SysctlException e) when (options.DryRun)
            {
                LogSysctlsUnavailable(loggerFactory.CreateLogger("GorbLink.Sysctls"), e.Message);
            }
            catch (SysctlException e)
            {
                return (null, ExitCodes.NoPermission, e.Message);
            }
        }
        else ExpireNodestConnStep.Apply(loggerFactory.CreateLogger("GorbLink.Sysctls"), options.DryRun);

        VipManager? vips = null;
        if (options.VipInterface is { } device)
        {
            var addresses = InterfaceAddressClient.Open();
            try
            {
                addresses.GetInterfaceIndex(device);
            }
            catch (InterfaceNotFoundException)
            {
                addresses.Dispose();
                return (null, ExitCodes.BadInput,
                    $"--vip-interface {device}: no such network interface (create it first, e.g. ip link add {device} type dummy; ip link set {device} up)");
            }
            vips = new VipManager(addresses,
                new VipManagerOptions { Interface = device, StatePath = Path.Combine(options.StateDirectory, VipStateFile.FileName), DryRun = options.DryRun },
                ownership, loggerFactory.CreateLogger<VipManager>());
            try
            {
                vips.Load();
            }
            catch (VipStateFileException e)
            {
                addresses.Dispose();
                return (null, ExitCodes.BadInput, e.Message);
            }
        }

        IPEndPoint? metrics = null;
        if (options.MetricsListen is { } listen)
        {
            if (!MetricsServer.TryParseListen(listen, out var endpoint, out var error)) return (null, ExitCodes.BadInput, $"--metrics-listen: {error}");
            metrics = endpoint;
        }
        Uri? otlp = null;
        if (options.OtlpEndpoint is { } otlpText)
        {
            if (!MetricsExport.TryParseOtlpEndpoint(otlpText, out var endpoint, out var error)) return (null, ExitCodes.BadInput, $"--otlp-endpoint: {error}");
            otlp = endpoint;
        }
        return (new Prepared(vips, metrics, new MetricsExportOptions { Prometheus = metrics is not null, OtlpEndpoint = otlp }), ExitCodes.Success, null);
    }

    /// <summary>Registers the metrics server (before the agent's own service, so a bad address stops the start).</summary>
    public static void AddTo(IServiceCollection services, Prepared prepared, DateTimeOffset startedAt)
    {
        if (prepared.Vips is { } vips) services.AddSingleton(vips);
        services.AddSingleton(_ => MemoryTrimmer.ForThisProcess(TimeProvider.System));
        if (!prepared.Export.Any) return;
        services.AddSingleton<IAgentProbe>(sp => new AgentProbe(
            sp.GetRequiredService<DockerWatcher>(), sp.GetRequiredService<ReconcileLoop>(), sp.GetRequiredService<OwnershipStore>(),
            sp.GetRequiredService<IIpvsClient>(), startedAt, sp.GetService<VipManager>()));
        services.AddSingleton(_ => GorbLinkMeter.Create());
        services.AddSingleton(_ => MetricsExport.Build(prepared.Export)!);
        services.AddSingleton(sp => new AgentInstruments(sp.GetRequiredService<Meter>(), sp.GetRequiredService<IAgentProbe>(),
            new KernelView(sp.GetRequiredService<IAgentProbe>(), TimeProvider.System, sp.GetRequiredService<ILoggerFactory>().CreateLogger("GorbLink.Metrics"),
                sp.GetRequiredService<ExportedMeter>().Series),
            sp.GetService<Core.SyncDaemons.SyncDaemonKeeper>()));
        services.AddSingleton<PassDurations>();
        // The observable instruments read the loop (through the probe), so they are made when the host starts, not with the loop.
        services.AddHostedService(sp => new MetricsHostedService(prepared.MetricsEndpoint, sp.GetRequiredService<ExportedMeter>(), sp.GetRequiredService<AgentInstruments>(),
            () => Health.Check(sp.GetRequiredService<IAgentProbe>()), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<MemoryTrimmer>().AfterScrape));
    }

    /// <summary>Hooks the memory trimmer, the VIP manager and the metrics' duration histogram onto every reconcile pass.</summary>
    public static ReconcileLoop Observe(ReconcileLoop loop, IServiceProvider services)
    {
        loop.AddObserver(services.GetRequiredService<MemoryTrimmer>()); // registered by AddTo, which every kernel loop's host calls
        if (services.GetService<VipManager>() is { } vips) loop.AddObserver(vips);
        if (services.GetService<PassDurations>() is { } durations) loop.AddObserver(durations);
        return loop;
    }

    [LoggerMessage(EventId = 1305, EventName = "SysctlsUnavailable", Level = LogLevel.Warning,
        Message = "dry run: --set-sysctls would fail: {Reason}")]
    private static partial void LogSysctlsUnavailable(ILogger logger, string reason);
}
