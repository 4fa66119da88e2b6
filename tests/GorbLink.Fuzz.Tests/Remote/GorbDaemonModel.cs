using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GorbLink.Remote.Protocol;

namespace GorbLink.Fuzz.Tests.Remote;

/// <summary>
/// A GORB daemon in memory, answering the REST calls of <see cref="GorbLink.Remote.Client.GorbClient"/> as
/// `gorblink serve` does (GorbApi): services by vsID, backends by rsID alone (one rsID, one service); a service whose
/// vsID or protocol, host and port are taken is a 409, as is a backend whose rsID exists anywhere or whose host and port
/// another backend of the service has; a backend addressed under a service it is not in is a 404; PATCH of a service
/// changes scheduler, flags and persistence only. With <see cref="PatchesServices"/> false it is upstream GORB, which has
/// no PATCH /service/{vs} (405). No health checks run: a backend keeps the metrics it was given (new ones are up).
/// </summary>
internal sealed class GorbDaemonModel : HttpMessageHandler
{
    public sealed record Service(GorbServiceOptions Options, List<string> Backends);

    public sealed record Backend(string Service, GorbBackendOptions Options, GorbBackendMetrics Metrics);

    public SortedDictionary<string, Service> Services { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, Backend> Backends { get; } = new(StringComparer.Ordinal);
    public bool PatchesServices { get; init; } = true;

    public static readonly GorbBackendMetrics Up = new() { Status = GorbStatus.Up, Health = 1 };

    public void AddService(string vsId, GorbServiceOptions options) => Services.Add(vsId, new Service(options, []));

    public void AddBackend(string vsId, string rsId, GorbBackendOptions options, GorbBackendMetrics metrics)
    {
        Backends.Add(rsId, new Backend(vsId, options, metrics));
        Services[vsId].Backends.Add(rsId);
    }

    /// <summary>Every field that a client can see, one line per entry, in ID order: equal text, equal daemons.</summary>
    public string Dump() => string.Join('\n', Services.Select(s =>
        $"{s.Key}: {ServiceText(s.Value.Options)} [{string.Join(", ", s.Value.Backends.Order(StringComparer.Ordinal).Select(rs => $"{rs} {BackendText(Backends[rs].Options)}"))}]"));

    public static string ServiceText(GorbServiceOptions o) =>
        $"{o.Protocol} '{o.Host}':{o.Port} {o.Method} flags '{o.Flags}' persistent {o.Persistent} {o.PersistenceTimeout}";

    public static string BackendText(GorbBackendOptions o) => $"{o.Host}:{o.Port} {o.Method} weight {o.Weight}";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(Send(request));

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) => Send(request);

    private HttpResponseMessage Send(HttpRequestMessage request)
    {
        var path = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : "/" + request.RequestUri.OriginalString;
        var parts = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var body = request.Content?.ReadAsByteArrayAsync().GetAwaiter().GetResult() ?? [];
        var method = request.Method.Method;
        return (method, parts) switch
        {
            ("GET", ["service"]) => Json(Services.Keys.ToList(), GorbJsonContext.Default.ListString),
            ("GET", ["service", var vs]) => Services.TryGetValue(vs, out var s)
                ? Json(new GorbServiceInfo { Options = s.Options, Health = 1, Backends = [.. s.Backends] }, GorbJsonContext.Default.GorbServiceInfo)
                : Error(HttpStatusCode.NotFound, $"service {vs} not found"),
            ("GET", ["service", var vs, var rs]) => Backends.TryGetValue(rs, out var b) && b.Service == vs
                ? Json(new GorbBackendInfo { Options = b.Options, Metrics = b.Metrics }, GorbJsonContext.Default.GorbBackendInfo)
                : Error(HttpStatusCode.NotFound, $"backend {rs} not found in service {vs}"),
            ("PUT", ["service", var vs]) => PutService(vs, Read(body, GorbJsonContext.Default.GorbServiceOptions)),
            ("PATCH", ["service", var vs]) => PatchService(vs, Read(body, GorbJsonContext.Default.GorbServicePatch)),
            ("DELETE", ["service", var vs]) => DeleteService(vs),
            ("PUT", ["service", var vs, var rs]) => PutBackend(vs, rs, Read(body, GorbJsonContext.Default.GorbBackendOptions)),
            ("PATCH", ["service", var vs, var rs]) => PatchBackend(vs, rs, Read(body, GorbJsonContext.Default.GorbBackendOptions)),
            ("DELETE", ["service", var vs, var rs]) => DeleteBackend(vs, rs),
            _ => Error(HttpStatusCode.NotFound, $"no route {method} {path}"),
        };
    }

    private HttpResponseMessage PutService(string vsId, GorbServiceOptions options)
    {
        if (Services.ContainsKey(vsId)) return Error(HttpStatusCode.Conflict, $"service {vsId} already exists");
        if (Services.FirstOrDefault(s => SameKey(s.Value.Options, options)) is { Key: { } twin })
            return Error(HttpStatusCode.Conflict, $"its address is already service {twin}");
        AddService(vsId, options);
        return Ok();
    }

    private HttpResponseMessage PatchService(string vsId, GorbServicePatch patch)
    {
        if (!PatchesServices) return Error(HttpStatusCode.MethodNotAllowed, "no PATCH /service/{vs}");
        if (!Services.TryGetValue(vsId, out var service)) return Error(HttpStatusCode.NotFound, $"service {vsId} not found");
        var current = service.Options;
        if ((patch.Host is not null && !SameHost(patch.Host, current.Host)) || (patch.Port is { } port && port != current.Port) ||
            (patch.Protocol is { Length: > 0 } protocol && !string.Equals(protocol, Protocol(current), StringComparison.OrdinalIgnoreCase)))
            return Error(HttpStatusCode.BadRequest, "host, port and protocol cannot be changed");
        Services[vsId] = service with
        {
            Options = new GorbServiceOptions
            {
                Host = current.Host,
                Port = current.Port,
                Protocol = current.Protocol,
                Method = patch.Method ?? current.Method,
                Flags = patch.Flags ?? current.Flags,
                Persistent = patch.Persistent ?? (patch.PersistenceTimeout is > 0 || current.Persistent),
                PersistenceTimeout = patch.PersistenceTimeout ?? (patch.Persistent == false ? null : current.PersistenceTimeout),
            },
        };
        return Ok();
    }

    private HttpResponseMessage DeleteService(string vsId)
    {
        if (!Services.Remove(vsId, out var service)) return Error(HttpStatusCode.NotFound, $"service {vsId} not found");
        foreach (var rsId in service.Backends) Backends.Remove(rsId);
        return Ok();
    }

    private HttpResponseMessage PutBackend(string vsId, string rsId, GorbBackendOptions options)
    {
        if (Backends.TryGetValue(rsId, out var existing)) return Error(HttpStatusCode.Conflict, $"backend {rsId} already exists (in service {existing.Service})");
        if (!Services.TryGetValue(vsId, out var service)) return Error(HttpStatusCode.NotFound, $"service {vsId} not found");
        if (service.Backends.FirstOrDefault(rs => SameHost(Backends[rs].Options.Host, options.Host) && Backends[rs].Options.Port == options.Port) is { } twin)
            return Error(HttpStatusCode.Conflict, $"{options.Host}:{options.Port} is already backend {twin} of service {vsId}");
        var stored = new GorbBackendOptions
        {
            Host = options.Host, Port = options.Port, Method = options.Method, Pulse = options.Pulse,
            Weight = options.Weight <= 0 ? GorbWords.DefaultWeight : options.Weight,
        };
        AddBackend(vsId, rsId, stored, Up);
        return Ok();
    }

    private HttpResponseMessage PatchBackend(string vsId, string rsId, GorbBackendOptions options)
    {
        if (!Backends.TryGetValue(rsId, out var backend) || backend.Service != vsId) return Error(HttpStatusCode.NotFound, $"backend {rsId} not found in service {vsId}");
        Backends[rsId] = backend with
        {
            Options = new GorbBackendOptions
            {
                Host = backend.Options.Host, Port = backend.Options.Port, Method = backend.Options.Method, Pulse = backend.Options.Pulse,
                Weight = options.Weight,
            },
        };
        return Ok();
    }

    private HttpResponseMessage DeleteBackend(string vsId, string rsId)
    {
        if (!Backends.TryGetValue(rsId, out var backend) || backend.Service != vsId) return Error(HttpStatusCode.NotFound, $"backend {rsId} not found in service {vsId}");
        Backends.Remove(rsId);
        Services[vsId].Backends.Remove(rsId);
        return Ok();
    }

    private static bool SameKey(GorbServiceOptions a, GorbServiceOptions b) =>
        SameHost(a.Host, b.Host) && a.Port == b.Port && string.Equals(Protocol(a), Protocol(b), StringComparison.OrdinalIgnoreCase);

    private static string Protocol(GorbServiceOptions o) => string.IsNullOrEmpty(o.Protocol) ? "tcp" : o.Protocol;

    private static bool SameHost(string? a, string? b) =>
        string.IsNullOrEmpty(a) || string.IsNullOrEmpty(b)
            ? string.IsNullOrEmpty(a) && string.IsNullOrEmpty(b)
            : IPAddress.TryParse(a, out var x) && IPAddress.TryParse(b, out var y) ? x.Equals(y) : string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static T Read<T>(byte[] body, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(body, type) ?? throw new InvalidOperationException("a write without a body");

    private static HttpResponseMessage Json<T>(T value, JsonTypeInfo<T> type) =>
        new(HttpStatusCode.OK) { Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type)) };

    private static HttpResponseMessage Ok() => new(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };

    private static HttpResponseMessage Error(HttpStatusCode status, string message) =>
        new(status) { Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new GorbError { Error = message }, GorbJsonContext.Default.GorbError)) };
}
