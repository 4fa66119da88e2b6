using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace GorbLink.Docker.Engine;

/// <summary>
/// The five Docker Engine API calls the watcher makes (version, info, list, inspect, events) over HttpClient, on a
/// unix socket or TCP. Requests carry <c>/v{api}/</c> when an API version is pinned. No work in the constructor:
/// <see cref="Create"/> builds the handler, the first request connects.
/// </summary>
public sealed class DockerEngineClient : IDisposable
{
    // The events API writes one JSON document per line (API < 1.52 and the default content type after it). Since
    // API 1.52 a client may ask for json-seq, whose records start with RS; we never ask, but tolerate it.
    private const char RecordSeparator = '\u001e';

    private readonly HttpClient _http;
    private readonly string _prefix;

    private DockerEngineClient(HttpClient http, Version? apiVersion, TimeSpan requestTimeout)
    {
        _http = http;
        RequestTimeout = requestTimeout;
        // Null for unversioned requests: the negotiation probe.
        _prefix = apiVersion is null ? "" : "/v" + apiVersion.ToString(2);
    }

    /// <summary>Timeout of each ordinary request, body included; the event stream has none.</summary>
    public TimeSpan RequestTimeout { get; }

    /// <summary>A client for <paramref name="endpoint"/> (unix://, tcp://, http://, https://).</summary>
    /// <exception cref="ArgumentException">A scheme this platform cannot reach (npipe://).</exception>
    public static DockerEngineClient Create(Uri endpoint, Version? apiVersion, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false, // a proxy from the environment must never see the engine's API
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        Uri baseAddress;
        switch (endpoint.Scheme)
        {
            case "unix":
                var socketPath = Uri.UnescapeDataString(endpoint.AbsolutePath); // a space in the path comes escaped
                handler.ConnectCallback = (_, cancellationToken) => ConnectUnixAsync(socketPath, cancellationToken);
                // The Host header is required by HTTP/1.1 and ignored by the engine on its socket.
                baseAddress = new Uri("http://docker.sock/");
                break;
            case "tcp":
                // Docker's own default for tcp:// without a port (2376 is the TLS port, which tcp:// does not mean here).
                baseAddress = new UriBuilder("http", endpoint.Host, endpoint.Port > 0 ? endpoint.Port : 2375).Uri;
                handler.ConnectCallback = (context, cancellationToken) => ConnectTcpAsync(context.DnsEndPoint, cancellationToken);
                break;
            case "http" or "https":
                baseAddress = new UriBuilder(endpoint.Scheme, endpoint.Host, endpoint.Port).Uri;
                handler.ConnectCallback = (context, cancellationToken) => ConnectTcpAsync(context.DnsEndPoint, cancellationToken);
                break;
            default:
                handler.Dispose();
                throw new ArgumentException($"Docker endpoint {endpoint}: scheme '{endpoint.Scheme}' cannot be used on this platform.", nameof(endpoint));
        }

        var http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan, // per request instead: the event stream must not time out
        };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("GorbLink", null));
        return new DockerEngineClient(http, apiVersion, requestTimeout);
    }

    /// <summary><c>GET /version</c>.</summary>
    public Task<DockerVersion> GetVersionAsync(CancellationToken cancellationToken) =>
        GetAsync("/version", DockerJsonContext.Default.DockerVersion, "read the engine version", cancellationToken)!;

    /// <summary><c>GET /info</c>.</summary>
    public Task<DockerSystemInfo> GetSystemInfoAsync(CancellationToken cancellationToken) =>
        GetAsync("/info", DockerJsonContext.Default.DockerSystemInfo, "read the engine info", cancellationToken)!;

    /// <summary><c>GET /containers/json?all=1</c>: every container, stopped ones included.</summary>
    public Task<List<ContainerSummary>> ListContainersAsync(CancellationToken cancellationToken) =>
        GetAsync("/containers/json?all=1", DockerJsonContext.Default.ListContainerSummary, "list containers", cancellationToken)!;

    /// <summary><c>GET /containers/{id}/json</c>; null when the engine has no such container (404).</summary>
    public async Task<ContainerInspect?> InspectContainerAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            return await GetAsync($"/containers/{Uri.EscapeDataString(id)}/json", DockerJsonContext.Default.ContainerInspect,
                $"inspect container {id}", cancellationToken).ConfigureAwait(false);
        }
        catch (DockerEngineApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>GET /events?since=…&amp;filters={"type":[…]}</c>, calling <paramref name="onEvent"/> for each message in the
    /// order the engine sent them, on the reading task. Returns when the engine ends the stream; throws on a broken
    /// connection or a message that is not JSON.
    /// </summary>
    public async Task MonitorEventsAsync(string? since, IReadOnlyList<string> types, Action<DockerEvent> onEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(onEvent);
        var query = new StringBuilder("/events?");
        if (since is not null) query.Append("since=").Append(Uri.EscapeDataString(since)).Append('&');
        query.Append("filters=").Append(Uri.EscapeDataString(TypeFilter(types)));

        using var request = new HttpRequestMessage(HttpMethod.Get, _prefix + query);
        using var response = await SendStreamRequestAsync(request, "watch events", cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            var json = line.AsSpan().Trim().TrimStart(RecordSeparator);
            if (json.IsEmpty) continue;
            var message = JsonSerializer.Deserialize(json, DockerJsonContext.Default.DockerEvent)
                          ?? throw new JsonException("The event stream sent a JSON null.");
            onEvent(EventDialects.ToDockerWords(message));
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The filters JSON, <c>map[string][]string</c>: <c>{"type":["container","network"]}</c>.</summary>
    internal static string TypeFilter(IReadOnlyList<string> types)
    {
        var text = new StringBuilder("{\"type\":[");
        for (var i = 0; i < types.Count; i++)
        {
            if (i > 0) text.Append(',');
            text.Append('"').Append(JsonEncodedText.Encode(types[i]).Value).Append('"');
        }

        return text.Append("]}").ToString();
    }

    private async Task<T?> GetAsync<T>(string path, JsonTypeInfo<T> typeInfo, string operation, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, _prefix + path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, operation, timeout.Token).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(body, typeInfo, timeout.Token).ConfigureAwait(false)
               ?? throw new JsonException($"Docker Engine answered JSON null to {operation}.");
    }

    /// <summary>
    /// Sends a request whose body is open-ended, with <see cref="RequestTimeout"/> on the headers only. The engine
    /// answers them at once; a peer that takes the request and never answers (a stuck proxy) would otherwise leave the
    /// watcher "connected" and deaf. (The token of SendAsync does not reach the body's reads, which take their own.)
    /// </summary>
    private async Task<HttpResponseMessage> SendStreamRequestAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        headersTimeout.CancelAfter(RequestTimeout);
        return await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, operation, headersTimeout.Token).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, string operation,
        CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            throw new DockerEngineApiException(operation, response.StatusCode, ErrorMessage(await ReadErrorBodyAsync(response, cancellationToken).ConfigureAwait(false)));
        }
    }

    /// <summary>At most the first 4 KiB of an error body: the engine's are short, a proxy's error page need not be.</summary>
    private static async Task<string> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var length = 0;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                length += read;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // what arrived before the connection broke is still the best description there is
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>The engine's <c>{"message": …}</c>, else the body as it came (a proxy's HTML, say), shortened.</summary>
    internal static string ErrorMessage(string body)
    {
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                if (JsonSerializer.Deserialize(trimmed, DockerJsonContext.Default.DockerErrorResponse)?.Message is { Length: > 0 } message) return message;
            }
            catch (JsonException)
            {
                // not Docker's error shape: fall through to the raw body
            }
        }

        if (trimmed.Length <= 200) return trimmed;
        var cut = char.IsHighSurrogate(trimmed[199]) ? 199 : 200; // never split a surrogate pair
        return string.Concat(trimmed.AsSpan(0, cut), "…");
    }

    /// <summary>
    /// A TCP connection with keepalive probes after 30 s idle, every 10 s, 3 unanswered = dead. The event stream can be
    /// silent for hours; without probes a peer that vanished (host down, NAT state dropped) leaves it open for ever and
    /// the watcher would see no events again. With them the read fails within about a minute and the watcher reconnects.
    /// </summary>
    internal static async ValueTask<Stream> ConnectTcpAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async ValueTask<Stream> ConnectUnixAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new DockerSocketUnreachableException(socketPath, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// The engine's unix socket could not be connected, said in words an operator can act on. (.NET reports a missing
/// socket file as "Cannot assign requested address", and HttpClient appends the placeholder host of the URI.)
/// </summary>
public sealed class DockerSocketUnreachableException : IOException
{
    public DockerSocketUnreachableException(string socketPath, SocketException cause)
        : base(Describe(socketPath, cause), cause)
    {
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    private static string Describe(string path, SocketException cause) => cause.SocketErrorCode switch
    {
        // ENOENT arrives as AddressNotAvailable.
        _ when !File.Exists(path) => $"no socket at {path} (is dockerd running, and is the socket mounted here?)",
        SocketError.AccessDenied => $"permission denied on {path} (run as root or in the socket's group)",
        SocketError.ConnectionRefused => $"nothing listens on {path} (a stale socket: is dockerd running?)",
        _ => $"{path}: {cause.Message}",
    };
}

/// <summary>The engine answered a request with an HTTP error.</summary>
public sealed class DockerEngineApiException : Exception
{
    public DockerEngineApiException(string operation, HttpStatusCode statusCode, string engineMessage)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Docker Engine refused to {operation}: HTTP {(int)statusCode}{(engineMessage.Length > 0 ? ": " + engineMessage : "")}"))
    {
        Operation = operation;
        StatusCode = statusCode;
        EngineMessage = engineMessage;
    }

    public string Operation { get; }
    public HttpStatusCode StatusCode { get; }
    /// <summary>The engine's own words (<c>message</c> of its error body).</summary>
    public string EngineMessage { get; }
}
