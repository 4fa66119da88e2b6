using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Diagnostics.Metrics;
using GorbLink.Core.Metrics;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Ipvs;
using GorbLink.Remote.Metrics;
using GorbLink.Remote.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

/// <summary>
/// `gorblink serve`: GORB's REST API on Kestrel (routes as plain <see cref="RequestDelegate"/>s, JSON source-generated,
/// so NativeAOT needs no reflection). Same routes, field names, defaults and status codes as GORB (kobolog/gorb main.go,
/// http.go); the differences are listed on <see cref="GorbApi"/>.
/// </summary>
public sealed class GorbServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GorbApi _api;
    private readonly ServeOptions _options;
    private readonly ILogger _logger;
    private readonly Meter _meter;

    private GorbServer(WebApplication app, GorbApi api, ServeOptions options, ILogger logger, Meter meter, ExportedMeter meters)
    {
        _app = app;
        _meter = meter;
        Meters = meters;
        _api = api;
        _options = options;
        _logger = logger;
    }

    /// <summary>Where it listens, as bound (port 0 replaced by the real port).</summary>
    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    /// <summary>The first listening address, usable from this machine (0.0.0.0 and [::] become loopback).</summary>
    public Uri BaseAddress
    {
        get
        {
            var first = Addresses.FirstOrDefault() ?? throw new InvalidOperationException("the server is not listening");
            var host = first.Host is "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : first.Host;
            return new UriBuilder(first) { Host = host, Path = "/" }.Uri;
        }
    }

    public GorbApi Api => _api;

    /// <summary>The exporters of serve's meter (GET /metrics here; --metrics-listen and --otlp-endpoint use it too).</summary>
    public ExportedMeter Meters { get; }

    /// <summary>Adopts (or with -f flushes) the kernel state, starts the kernel pipeline, then listens.</summary>
    /// <exception cref="ArgumentException">The listen address is not Go-style host:port.</exception>
    /// <exception cref="InvalidDataException">serve-state.json is damaged.</exception>
    /// <exception cref="OwnershipFileException">serve-ownership.json is damaged or cannot be written.</exception>
    /// <param name="vipSync">--vip-interface: called with the VIPs in use after every service change.</param>
    /// <param name="moreInstruments">Adds the instruments GorbLink puts beside GORB's on serve's meter (the sync daemons).</param>
    public static async Task<GorbServer> StartAsync(ServeOptions options, IIpvsClient ipvs, ILoggerFactory loggerFactory, TimeProvider? time = null,
        Func<IReadOnlySet<IPAddress>, CancellationToken, Task>? vipSync = null, Action<Meter>? moreInstruments = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ipvs);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var (address, port) = ParseListen(options.Listen);
        var logger = loggerFactory.CreateLogger("GorbLink.Serve");
        time ??= TimeProvider.System;
        var state = new ServeState(options.StatePath, logger);
        var ownership = new OwnershipStore(new OwnershipOptions { Path = options.OwnershipPath });
        var adopted = await ServeAdoption.AdoptAsync(ipvs, options, state, ownership, logger, time, cancellationToken).ConfigureAwait(false);
        // The agent's reconciler over serve's own ownership file: a removed backend goes at once, as in GORB (no drain).
        var reconciler = new Reconciler(ipvs, ownership,
            new ReconcilerOptions { DrainTimeout = TimeSpan.Zero, WriteStatus = false, RetryInterval = options.RetryMinimum },
            loggerFactory.CreateLogger<Reconciler>(), time);
        var pipeline = new ServePipeline(reconciler, state, options, logger, time);
        var api = new GorbApi(state, pipeline, options, logger, time, vipSync);
        var meter = GorbLinkMeter.Create(options.Metrics.MeterName);
        var meters = MetricsExport.Build(options.Metrics with { Prometheus = true })!;
        try
        {
            ServeMetrics.AddInstruments(meter, api, meters.Series);
            moreInstruments?.Invoke(meter);
            await api.StartAsync(adopted, cancellationToken).ConfigureAwait(false);

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "gorblink", Args = [] });
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(loggerFactory);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = Math.Max(options.MaxBodyBytes, 1) * 4L;
                if (address is null) kestrel.ListenAnyIP(port);
                else if (address.Equals(IPAddress.Loopback) && options.Listen.StartsWith("localhost", StringComparison.OrdinalIgnoreCase)) kestrel.ListenLocalhost(port);
                else kestrel.Listen(address, port);
            });
            var app = builder.Build();
            var server = new GorbServer(app, api, options, logger, meter, meters);
            server.Map(app);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            server.Addresses = [.. bound.Select(a => new Uri(a.Replace("://+", "://0.0.0.0", StringComparison.Ordinal)))];
            Log.Listening(logger, string.Join(", ", bound), options.DefaultHost?.ToString() ?? "none (a service must give its host)");
            return server;
        }
        catch
        {
            await api.DisposeAsync().ConfigureAwait(false);
            meters.Dispose();
            meter.Dispose();
            throw;
        }
    }

    /// <summary>Go-style listen address: ":4672", "0.0.0.0:4672", "127.0.0.1:0", "[::1]:4672", "localhost:4672".</summary>
    public static (IPAddress? Address, int Port) ParseListen(string listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var colon = listen.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(listen.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > ushort.MaxValue)
            throw new ArgumentException($"-l/--listen: \"{listen}\" is not host:port or :port (e.g. :4672, 127.0.0.1:4672, [::1]:4672)", nameof(listen));
        var host = listen[..colon].Trim('[', ']');
        if (host.Length == 0) return (null, port);
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return (IPAddress.Loopback, port);
        if (!IPAddress.TryParse(host, out var address))
            throw new ArgumentException($"-l/--listen: \"{host}\" is not an IP address (use :port to listen on every address)", nameof(listen));
        return (address, port);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        await _api.DisposeAsync().ConfigureAwait(false);
        Meters.Dispose();
        _meter.Dispose();
    }

    // ---- routes --------------------------------------------------------------------------------------------------

    private void Map(WebApplication app)
    {
        // Routing answers a path it does not know (404) and a method a route does not take (405) with no body; a
        // client gets GORB's error body there too, saying what the routes are (found by the REST fuzz target).
        app.Use(async (context, next) =>
        {
            await next(context).ConfigureAwait(false);
            if (context.Response.HasStarted || HttpMethods.IsHead(context.Request.Method)) return;
            var request = $"{context.Request.Method} {context.Request.Path}";
            var message = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no such route: {request} (routes: /service, /service/{{vsID}}, /service/{{vsID}}/{{rsID}}, /metrics)",
                StatusCodes.Status405MethodNotAllowed => $"method not allowed: {request} (allowed: {context.Response.Headers.Allow})",
                >= 400 and var status => $"{request}: HTTP {status}",
                _ => null,
            };
            if (message is not null) await WriteErrorAsync(context, context.Response.StatusCode, message).ConfigureAwait(false);
        });
        if (_options.Token is { Length: > 0 } token)
        {
            var expected = Encoding.UTF8.GetBytes("Bearer " + token);
            app.Use(async (context, next) =>
            {
                var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
                if (!CryptographicOperations.FixedTimeEquals(given, expected))
                {
                    await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "missing or wrong bearer token (Authorization: Bearer <token>)").ConfigureAwait(false);
                    return;
                }
                await next(context).ConfigureAwait(false);
            });
        }
        Route(app, "GET", "/service", async c => await WriteJsonAsync(c, [.. await _api.ListServicesAsync(c.RequestAborted).ConfigureAwait(false)], GorbJsonContext.Default.ListString).ConfigureAwait(false));
        Route(app, "GET", "/service/{vsID}", async c => await WriteJsonAsync(c, await _api.GetServiceAsync(Vs(c), c.RequestAborted).ConfigureAwait(false), GorbJsonContext.Default.GorbServiceInfo).ConfigureAwait(false));
        Route(app, "PUT", "/service/{vsID}", async c =>
            await _api.CreateServiceAsync(Vs(c), await ReadJsonAsync(c, GorbJsonContext.Default.GorbServiceOptions).ConfigureAwait(false), c.RequestAborted).ConfigureAwait(false));
        Route(app, "PATCH", "/service/{vsID}", async c =>
            await _api.PatchServiceAsync(Vs(c), await ReadJsonAsync(c, GorbJsonContext.Default.GorbServicePatch).ConfigureAwait(false), c.RequestAborted).ConfigureAwait(false));
        Route(app, "DELETE", "/service/{vsID}", c => _api.DeleteServiceAsync(Vs(c), c.RequestAborted));
        Route(app, "GET", "/service/{vsID}/{rsID}", async c => await WriteJsonAsync(c, await _api.GetBackendAsync(Vs(c), Rs(c), c.RequestAborted).ConfigureAwait(false), GorbJsonContext.Default.GorbBackendInfo).ConfigureAwait(false));
        Route(app, "PUT", "/service/{vsID}/{rsID}", async c =>
            await _api.CreateBackendAsync(Vs(c), Rs(c), await ReadJsonAsync(c, GorbJsonContext.Default.GorbBackendOptions).ConfigureAwait(false), c.RequestAborted).ConfigureAwait(false));
        Route(app, "PATCH", "/service/{vsID}/{rsID}", async c =>
            await _api.PatchBackendAsync(Vs(c), Rs(c), await ReadJsonAsync(c, GorbJsonContext.Default.GorbBackendOptions).ConfigureAwait(false), c.RequestAborted).ConfigureAwait(false));
        Route(app, "DELETE", "/service/{vsID}/{rsID}", c => _api.DeleteBackendAsync(Vs(c), Rs(c), c.RequestAborted));
        // GORB's gauges, and whatever else is on serve's meter, written by OpenTelemetry's Prometheus exporter.
        app.Map("/metrics", Meters.ScrapeAsync);
    }

    private static string Vs(HttpContext context) => (string)context.Request.RouteValues["vsID"]!;
    private static string Rs(HttpContext context) => (string)context.Request.RouteValues["rsID"]!;

    /// <summary>One route; the handler's exceptions become GORB's error bodies.</summary>
    private void Route(IEndpointRouteBuilder app, string method, string pattern, Func<HttpContext, Task> handler)
    {
        app.MapMethods(pattern, [method], new RequestDelegate(async context =>
        {
            try
            {
                await handler(context).ConfigureAwait(false);
            }
            catch (GorbApiException e)
            {
                Log.Request(_logger, context.Request.Method, context.Request.Path, e.Status, e.Message);
                await WriteErrorAsync(context, e.Status, e.Message).ConfigureAwait(false);
            }
            catch (IpvsException e)
            {
                Log.RequestFailed(_logger, context.Request.Method, context.Request.Path, e.Message);
                await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, $"error while calling into IPVS: {e.Message}").ConfigureAwait(false);
            }
            catch (BadHttpRequestException e)
            {
                await WriteErrorAsync(context, e.StatusCode, $"request body: {e.Message}").ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // Never a 500 with an empty body: whatever failed is named.
                Log.RequestFailed(_logger, context.Request.Method, context.Request.Path, e.ToString());
                await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, $"internal error: {e.Message}").ConfigureAwait(false);
            }
        }));
    }

    private async Task<T> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> type) where T : class
    {
        var max = _options.MaxBodyBytes;
        if (context.Request.ContentLength is { } length && length > max)
            throw new GorbApiException(StatusCodes.Status413PayloadTooLarge, $"request body: {length} bytes is more than the {max} this daemon takes");
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            var read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false);
            if (read == 0) break;
            buffer.Write(chunk, 0, read);
            if (buffer.Length > max)
                throw new GorbApiException(StatusCodes.Status413PayloadTooLarge, $"request body: more than the {max} bytes this daemon takes");
        }
        if (buffer.Length == 0) throw GorbApiException.BadRequest("request body: empty; expected a JSON object");
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type);
        }
        catch (JsonException e)
        {
            throw GorbApiException.BadRequest(DescribeJsonError(e));
        }
        return value ?? throw GorbApiException.BadRequest("request body: null; expected a JSON object");
    }

    /// <summary>"port: invalid JSON: ..." from the path System.Text.Json reports ($.port, $.pulse.args.expect).</summary>
    internal static string DescribeJsonError(JsonException e)
    {
        var field = e.Path is null or "$" ? "request body" : e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path;
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        if (message.StartsWith("The JSON value could not be converted to", StringComparison.Ordinal))
        {
            var type = message["The JSON value could not be converted to ".Length..].TrimEnd('.');
            message = $"wrong type of value (expected {FriendlyType(type)})";
        }
        return $"{field}: invalid JSON: {message.TrimEnd('.')}";
    }

    private static string FriendlyType(string clrType) => clrType switch
    {
        "System.Int64" or "System.Nullable`1[System.Int64]" => "a whole number",
        "System.Boolean" or "System.Nullable`1[System.Boolean]" => "true or false",
        "System.String" => "a string",
        _ when clrType.StartsWith("GorbLink.Remote.Protocol.", StringComparison.Ordinal) => "an object",
        _ when clrType.StartsWith("System.Collections.Generic.Dictionary", StringComparison.Ordinal) => "an object",
        _ => clrType,
    };

    private static async Task WriteJsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new GorbError { Error = message }, GorbJsonContext.Default.GorbError, context.RequestAborted).ConfigureAwait(false);
    }
}
