using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GorbLink.Remote.Protocol;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace GorbLink.Remote.Client;

/// <summary>The daemon did not answer (refused, timed out, circuit open) or answered something that is not GORB.</summary>
public sealed class RemoteUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What a write returned: the status code and, unless 200, the daemon's error text.</summary>
public readonly record struct GorbWriteResult(HttpStatusCode Status, string? Error)
{
    public bool Ok => Status == HttpStatusCode.OK;
    public override string ToString() => Ok ? "200" : $"{(int)Status} {Error}".TrimEnd();
}

/// <summary>
/// Typed client of one GORB daemon over an <see cref="HttpClient"/> whose handler adds timeouts, retries (idempotent
/// methods only) and a circuit breaker. Reads throw <see cref="RemoteUnavailableException"/> unless they get a 200 (or a
/// 404 where "absent" is an answer); writes return the status so that the caller can tell 409 from 404 from 500.
/// </summary>
public sealed class GorbClient(HttpClient http, RemoteEndpoint endpoint)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public RemoteEndpoint Endpoint { get; } = endpoint;

    /// <summary>GET /service: every vsID (GORB writes null for none).</summary>
    public async Task<IReadOnlyList<string>> ListServicesAsync(CancellationToken cancellationToken)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "service", null, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK) throw Unexpected("GET /service", status, body);
        return Parse(body, GorbJsonContext.Default.ListString, "GET /service") ?? [];
    }

    /// <summary>GET /service/{vsID}; null when the daemon has no such service.</summary>
    public async Task<GorbServiceInfo?> GetServiceAsync(string vsId, CancellationToken cancellationToken)
    {
        var path = ServicePath(vsId);
        var (status, body) = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound) return null;
        if (status != HttpStatusCode.OK) throw Unexpected("GET /" + path, status, body);
        return Parse(body, GorbJsonContext.Default.GorbServiceInfo, "GET /" + path);
    }

    /// <summary>GET /service/{vsID}/{rsID}; null when the daemon has no such backend.</summary>
    public async Task<GorbBackendInfo?> GetBackendAsync(string vsId, string rsId, CancellationToken cancellationToken)
    {
        var path = BackendPath(vsId, rsId);
        var (status, body) = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound) return null;
        if (status != HttpStatusCode.OK) throw Unexpected("GET /" + path, status, body);
        return Parse(body, GorbJsonContext.Default.GorbBackendInfo, "GET /" + path);
    }

    public Task<GorbWriteResult> PutServiceAsync(string vsId, GorbServiceOptions options, CancellationToken cancellationToken) =>
        WriteAsync(HttpMethod.Put, ServicePath(vsId), Serialize(options, GorbJsonContext.Default.GorbServiceOptions), cancellationToken);

    public Task<GorbWriteResult> PatchServiceAsync(string vsId, GorbServicePatch patch, CancellationToken cancellationToken) =>
        WriteAsync(HttpMethod.Patch, ServicePath(vsId), Serialize(patch, GorbJsonContext.Default.GorbServicePatch), cancellationToken);

    public Task<GorbWriteResult> DeleteServiceAsync(string vsId, CancellationToken cancellationToken) =>
        WriteAsync(HttpMethod.Delete, ServicePath(vsId), null, cancellationToken);

    public Task<GorbWriteResult> PutBackendAsync(string vsId, string rsId, GorbBackendOptions options, CancellationToken cancellationToken) =>
        WriteAsync(HttpMethod.Put, BackendPath(vsId, rsId), Serialize(options, GorbJsonContext.Default.GorbBackendOptions), cancellationToken);

    /// <summary>PATCH /service/{vsID}/{rsID}: GORB applies only the weight (0 allowed).</summary>
    public Task<GorbWriteResult> PatchBackendWeightAsync(string vsId, string rsId, GorbBackendOptions options, CancellationToken cancellationToken) =>
        WriteAsync(HttpMethod.Patch, BackendPath(vsId, rsId), Serialize(options, GorbJsonContext.Default.GorbBackendOptions), cancellationToken);

    public Task<GorbWriteResult> DeleteBackendAsync(string vsId, string rsId, CancellationToken cancellationToken) =>
        WriteAsync(HttpMethod.Delete, BackendPath(vsId, rsId), null, cancellationToken);

    internal static string ServicePath(string vsId) => "service/" + Uri.EscapeDataString(vsId);

    internal static string BackendPath(string vsId, string rsId) => ServicePath(vsId) + "/" + Uri.EscapeDataString(rsId);

    private async Task<GorbWriteResult> WriteAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        var (status, text) = await SendAsync(method, path, body, cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.OK ? new GorbWriteResult(status, null) : new GorbWriteResult(status, ErrorText(text));
    }

    private async Task<(HttpStatusCode Status, byte[] Body)> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = Json;
        }
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return (response.StatusCode, bytes);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (BrokenCircuitException e)
        {
            throw new RemoteUnavailableException($"{Endpoint}: circuit open after repeated failures, not calling it for now ({e.Message})", e);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or OperationCanceledException or RateLimiterRejectedException or IOException)
        {
            throw new RemoteUnavailableException($"{Endpoint}: {method} /{path}: {Describe(e)}", e);
        }
    }

    private static string Describe(Exception e) => e switch
    {
        TimeoutRejectedException => "no answer in time",
        OperationCanceledException => "no answer in time",
        HttpRequestException { InnerException: { } inner } h => $"{h.Message} ({inner.Message})",
        _ => e.Message,
    };

    private static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    private T? Parse<T>(byte[] body, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException e)
        {
            throw new RemoteUnavailableException($"{Endpoint}: {what}: the answer is not GORB's JSON ({e.Message})", e);
        }
    }

    private RemoteUnavailableException Unexpected(string what, HttpStatusCode status, byte[] body) =>
        new($"{Endpoint}: {what}: {(int)status} {ErrorText(body)}".TrimEnd());

    /// <summary>The "error" of GORB's error body, or the first 200 characters of whatever came.</summary>
    internal static string ErrorText(byte[] body)
    {
        if (body.Length == 0) return "";
        try
        {
            if (JsonSerializer.Deserialize(body, GorbJsonContext.Default.GorbError) is { Error: { } error }) return error;
        }
        catch (JsonException)
        {
        }
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).Trim();
        return text;
    }
}
