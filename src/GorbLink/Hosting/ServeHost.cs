using System.Net;
using System.Net.Sockets;
using GorbLink.Cli;
using GorbLink.Core.Ownership;
using GorbLink.Core.Vips;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;
using GorbLink.Metrics;
using GorbLink.Netlink;
using GorbLink.Netlink.Route;
using GorbLink.Remote.Metrics;
using GorbLink.Remote.Server;
using Microsoft.Extensions.Logging;
using NLog.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// `gorblink serve`: checks what it needs (interface, IPVS, permission, state files) so that a missing part is one
/// clear line and a telling exit code, then serves GORB's API until SIGTERM. The kernel is left serving on exit.
/// </summary>
internal static partial class ServeHost
{
    public static async Task<int> RunAsync(ServeSettings settings, CancellationToken cancellationToken)
    {
        var logging = Logging.Configure(settings.LogFormat, settings.Verbose);
        using var loggerFactory = LoggerFactory.Create(b => b.AddNLog(logging));
        var log = loggerFactory.CreateLogger("GorbLink.Serve");
        // From here a SIGTERM ends serve through its cleanup (the sync daemons it started are stopped), even before it listens.
        using var signal = new ShutdownSignal(cancellationToken);
        var stopping = signal.Token;

        IPAddress? defaultHost;
        IPEndPoint? metricsEndpoint = null;
        Uri? otlp = null;
        try
        {
            var addresses = InterfaceAddresses.Of(settings.Interface);
            defaultHost = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault(a => !a.IsIPv6LinkLocal);
            GorbServer.ParseListen(settings.Listen);
            if (settings.MetricsListen is { } listen && !Metrics.MetricsServer.TryParseListen(listen, out metricsEndpoint, out var error))
                throw new ArgumentException($"--metrics-listen: {error}");
            if (settings.OtlpEndpoint is { } otlpText && !MetricsExport.TryParseOtlpEndpoint(otlpText, out otlp, out var otlpError))
                throw new ArgumentException($"--otlp-endpoint: {otlpError}");
        }
        catch (ArgumentException e)
        {
            StartupLog.Serve.StartFailed(log, e.Message);
            return ExitCodes.BadInput;
        }

        var (ipvs, ipvsFailure) = await StartupChecks.OpenIpvsAsync(cancellationToken).ConfigureAwait(false);
        if (ipvs is null)
        {
            StartupLog.Serve.StartFailed(log, ipvsFailure!.Value.Reason);
            return ipvsFailure.Value.ExitCode;
        }
        await using var _ = ipvs;
        ExpireNodestConnStep.Apply(loggerFactory.CreateLogger("GorbLink.Sysctls"), dryRun: false);
        if (settings.IpvsTimeouts is { } timeouts
            && await IpvsTimeoutsStep.ApplyAsync(ipvs, timeouts, dryRun: false, log, cancellationToken).ConfigureAwait(false) is { } timeoutsFailure)
        {
            StartupLog.Serve.StartFailed(log, timeoutsFailure.Reason);
            return timeoutsFailure.ExitCode;
        }
        var (syncDaemons, syncFailure) = await SyncDaemonsStep.StartAsync(settings.SyncDaemon, ipvs, settings.StateDirectory, dryRun: false, loggerFactory, cancellationToken).ConfigureAwait(false);
        if (syncFailure is { } sync)
        {
            StartupLog.Serve.StartFailed(log, sync.Reason);
            return sync.ExitCode;
        }
        await using var stopSyncDaemons = SyncDaemonsStep.StopOnExit(syncDaemons);
        if (stopping.IsCancellationRequested) return ExitCodes.Success;

        InterfaceAddressClient? addressClient = null;
        Func<IReadOnlySet<IPAddress>, CancellationToken, Task>? vipSync = null;
        if (settings.VipInterface is { Length: > 0 } vipInterface)
        {
            try
            {
                addressClient = InterfaceAddressClient.Open();
                var vips = new VipManager(addressClient,
                    new VipManagerOptions { Interface = vipInterface, StatePath = Path.Combine(settings.StateDirectory, "serve-vips.json") },
                    ownership: null, loggerFactory.CreateLogger<VipManager>());
                vips.Load();
                vipSync = async (inUse, ct) => await vips.SyncAsync(inUse, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is VipStateFileException or NetlinkException)
            {
                addressClient?.Dispose();
                StartupLog.Serve.StartFailed(log, e.Message);
                return ExitCodes.BadInput;
            }
        }
        using var __ = addressClient;

        var options = new ServeOptions
        {
            Listen = settings.Listen,
            DefaultHost = defaultHost,
            Flush = settings.Flush,
            StateDirectory = settings.StateDirectory,
            Token = settings.Token,
            MaxConcurrentChecks = settings.MaxConcurrentChecks,
            ResyncInterval = settings.ResyncInterval,
            Metrics = new MetricsExportOptions { Prometheus = true, ServiceName = "gorblink-serve", OtlpEndpoint = otlp },
        };
        LogStarting(log, settings.Interface, defaultHost?.ToString() ?? "none", settings.Flush ? "flush" : "adopt its own entries",
            settings.VipInterface ?? "off");
        GorbServer server;
        try
        {
            server = await GorbServer.StartAsync(options, ipvs, loggerFactory, TimeProvider.System, vipSync,
                syncDaemons is null ? null : meter => SyncDaemonInstruments.Add(meter, syncDaemons), stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (IpvsPermissionException e)
        {
            StartupLog.Serve.StartFailed(log, e.Message);
            return ExitCodes.NoPermission;
        }
        catch (IpvsException e)
        {
            StartupLog.Serve.StartFailed(log, e.Message);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is InvalidDataException or OwnershipFileException)
        {
            // serve-state.json or serve-ownership.json is damaged: the message says which and what to do.
            StartupLog.Serve.StartFailed(log, e.Message);
            return ExitCodes.BadInput;
        }
        catch (NetlinkException e)
        {
            StartupLog.Serve.StartFailed(log, $"cannot read the IPVS table: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (IOException e)
        {
            // Kestrel: address in use, or no permission to bind.
            StartupLog.Serve.StartFailed(log, $"cannot listen on {settings.Listen}: {e.Message}");
            return ExitCodes.Failure;
        }
        await using (server.ConfigureAwait(false))
        {
            Metrics.MetricsServer? metrics = null;
            try
            {
                if (metricsEndpoint is not null)
                    metrics = await Metrics.MetricsServer.StartAsync(metricsEndpoint, server.Meters, health: null, loggerFactory, stopping).ConfigureAwait(false);
            }
            catch (Metrics.MetricsListenException e)
            {
                StartupLog.Serve.StartFailed(log, e.Message);
                return ExitCodes.BadInput;
            }
            await using (metrics)
            {
                await server.WaitForShutdownAsync(stopping).ConfigureAwait(false);
            }
        }
        return ExitCodes.Success;
    }

    // 1020 ServeStartFailed: StartupLog.Serve.
    [LoggerMessage(EventId = 1021, EventName = "ServeStarting", Level = LogLevel.Information,
        Message = "GORB-compatible daemon: interface {Interface} (default address {DefaultHost}), on start {Start}, VIP interface {VipInterface}")]
    private static partial void LogStarting(ILogger logger, string @interface, string defaultHost, string start, string vipInterface);
}
