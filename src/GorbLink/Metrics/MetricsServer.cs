using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using GorbLink.Remote.Metrics;

namespace GorbLink.Metrics;

/// <summary>
/// --metrics-listen: GET /metrics (Prometheus text, written by OpenTelemetry's Prometheus exporter from the GorbLink
/// meter) and, for the agent, GET /healthz (JSON; 200 or 503) on Kestrel. Built from the empty web application builder:
/// no configuration files (nothing watches the working directory), no routing, no HTTPS; plain request delegates, so
/// NativeAOT needs no reflection and the process pays for none of it unless asked.
/// </summary>
internal sealed partial class MetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The bound address (port 0 replaced by the real one), usable from this machine.</summary>
    public Uri Address { get; }

    /// <exception cref="MetricsListenException">The address cannot be bound (in use, not on this host, no permission).</exception>
    /// <param name="afterScrape">Called after each <c>/metrics</c> answer with the bytes this process allocated meanwhile.</param>
    /// <param name="health">/healthz's answer; without it there is no /healthz (serve: GORB's API has its own state).</param>
    public static async Task<MetricsServer> StartAsync(IPEndPoint endpoint, ExportedMeter meters, Func<Health.Report>? health, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken, Action<long>? afterScrape = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "gorblink", Args = [] });
        builder.Services.AddLogging();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 0;
            kestrel.Limits.MaxConcurrentConnections = 64;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Listen(endpoint);
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = "GET, HEAD";
                return;
            }
            if (context.Request.Path != MetricsPath)
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            var allocatedBefore = GC.GetTotalAllocatedBytes();
            await meters.ScrapeAsync(context).ConfigureAwait(false);
            afterScrape?.Invoke(GC.GetTotalAllocatedBytes() - allocatedBefore);
        });
        app.Run(context => HandleAsync(context, health));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new MetricsListenException($"--metrics-listen {Format(endpoint)}: cannot listen there: {(e.InnerException ?? e).Message}", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var port = bound is not null ? new Uri(bound).Port : endpoint.Port;
        var host = endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : endpoint.Address;
        var address = new Uri($"http://{Format(new IPEndPoint(host, port))}/");
        LogListening(loggerFactory.CreateLogger("GorbLink.Metrics"), Format(new IPEndPoint(endpoint.Address, port)));
        return new MetricsServer(app, address);
    }

    private const string MetricsPath = "/metrics";

    private static async Task HandleAsync(HttpContext context, Func<Health.Report>? health)
    {
        var response = context.Response;
        switch (context.Request.Path.Value)
        {
            case "/healthz" when health is not null:
            {
                var report = health();
                response.StatusCode = report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                response.ContentType = "application/json";
                await response.Body.WriteAsync(report.Json, context.RequestAborted).ConfigureAwait(false);
                return;
            }
            case "/":
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(health is null ? "GorbLink\n/metrics  Prometheus text\n" : "GorbLink agent\n/metrics  Prometheus text\n/healthz  200 or 503, JSON\n",
                    context.RequestAborted).ConfigureAwait(false);
                return;
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                return;
        }
    }

    /// <summary>
    /// Parses ADDR:PORT: ":9100" (every address), "0.0.0.0:9100", "127.0.0.1:9100", "[::]:9100", "[::1]:9100",
    /// "localhost:9100". Port 0 picks a free port.
    /// </summary>
    public static bool TryParseListen(string? text, out IPEndPoint endpoint, out string error)
    {
        endpoint = new IPEndPoint(IPAddress.Any, 0);
        error = "";
        var colon = text?.LastIndexOf(':') ?? -1;
        if (string.IsNullOrWhiteSpace(text) || colon < 0)
        {
            error = $"\"{text}\" is not ADDR:PORT (e.g. :9100, 127.0.0.1:9100, [::1]:9100)";
            return false;
        }
        var host = text[..colon];
        if (!ushort.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            error = $"\"{text}\": port \"{text[(colon + 1)..]}\" is not 0..65535";
            return false;
        }
        IPAddress? address;
        if (host.Length == 0) address = IPAddress.Any;
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (host.StartsWith('[') && host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6) address = v6;
        else if (!host.Contains(':') && IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && host.Count(c => c == '.') == 3) address = v4;
        else address = null;
        if (address is null)
        {
            error = $"\"{text}\": \"{host}\" is not an IP address (IPv6 in brackets: [::1]:9100)";
            return false;
        }
        endpoint = new IPEndPoint(address, port);
        return true;
    }

    private static string Format(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1401, EventName = "MetricsListening", Level = LogLevel.Information,
        Message = "serving /metrics on http://{Endpoint}")]
    private static partial void LogListening(ILogger logger, string endpoint);
}

/// <summary>--metrics-listen names an address this process cannot listen on.</summary>
internal sealed class MetricsListenException(string message, Exception inner) : Exception(message, inner);

/// <summary>Starts the metrics server with the host (before the agent itself, so a bad address stops everything) and stops it after.</summary>
/// <summary>Without an endpoint (OTLP only) it only keeps the meter provider, which pushes on its own.</summary>
internal sealed class MetricsHostedService(IPEndPoint? endpoint, ExportedMeter meters, AgentInstruments instruments, Func<Health.Report>? health, ILoggerFactory loggerFactory,
    Action<long>? afterScrape = null) : IHostedService
{
    private MetricsServer? _server;

    public MetricsServer? Server => _server;

    /// <summary>The agent's instruments, made with this service (they live as long as the meter).</summary>
    public AgentInstruments Instruments => instruments;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (endpoint is not null) _server = await MetricsServer.StartAsync(endpoint, meters, health, loggerFactory, cancellationToken, afterScrape).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server) await server.DisposeAsync().ConfigureAwait(false);
        _server = null;
    }
}
