using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GorbLink.Docker.Tests.Support;

/// <summary>
/// A scripted Docker Engine API on 127.0.0.1 (HttpListener), for behaviour the real engine will not produce on
/// demand: an event stream the daemon ends cleanly (terminating chunk, no error), an engine that is too old, a list
/// answered only once something else happened (<see cref="BeforeList"/>), a burst of events.
/// </summary>
public sealed class FakeDockerEngine : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeDockerEngine(string apiVersion = "1.45", string minApiVersion = "1.24", string engineVersion = "99.0.0-fake")
    {
        ApiVersion = apiVersion;
        MinApiVersion = minApiVersion;
        EngineVersion = engineVersion;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public Uri Endpoint => new($"tcp://127.0.0.1:{Port}");
    public string ApiVersion { get; }
    public string MinApiVersion { get; }
    public string EngineVersion { get; }

    /// <summary>Inspect JSON by container id; listed by /containers/json.</summary>
    public ConcurrentDictionary<string, string> Containers { get; } = new();

    /// <summary>When set, the raw body of every <c>/version</c> answer (a recorded engine's), instead of one made from the constructor's versions.</summary>
    public string? VersionJson { get; set; }

    /// <summary>When set, the raw body of every <c>/containers/json</c> answer instead of one entry per <see cref="Containers"/> key.</summary>
    public string? ListJson { get; set; }

    /// <summary>Events to send on each /events request before ending the stream cleanly.</summary>
    public Func<int, IEnumerable<string>> EventsForStream { get; set; } = _ => [];

    /// <summary>Keep each event stream open after its events (until disposal) instead of ending it cleanly.</summary>
    public bool KeepStreamsOpen { get; set; }

    /// <summary>Awaited before answering the n-th (1-based) <c>/containers/json</c>; it may change <see cref="Containers"/>.</summary>
    public Func<int, Task>? BeforeList { get; set; }

    /// <summary>Completes when the first <c>/events</c> request arrives.</summary>
    public Task FirstEventStreamArrived => _firstStreamArrived.Task;

    /// <summary>Completes when the first <c>/events</c> stream's events have all been written.</summary>
    public Task FirstEventStreamWritten => _firstStreamWritten.Task;

    /// <summary>Every request's path and query, in order of arrival.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();
    public int EventStreams => Requests.Count(r => r.Contains("/events", StringComparison.Ordinal));
    public int ListRequests => Volatile.Read(ref _lists);

    private readonly TaskCompletionSource _firstStreamArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstStreamWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _lists;

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        Requests.Enqueue(context.Request.Url.PathAndQuery);
        var response = context.Response;
        try
        {
            if (path == "/version" || path.EndsWith("/version", StringComparison.Ordinal))
                await WriteJsonAsync(response, VersionJson ?? $$"""{"Version":"{{EngineVersion}}","ApiVersion":"{{ApiVersion}}","MinAPIVersion":"{{MinApiVersion}}","Os":"linux"}""");
            else if (path.EndsWith("/info", StringComparison.Ordinal))
                await WriteJsonAsync(response, $$"""{"SystemTime":"{{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffffff}}123Z"}""");
            else if (path.EndsWith("/containers/json", StringComparison.Ordinal))
            {
                var n = Interlocked.Increment(ref _lists);
                if (BeforeList is { } before) await before(n);
                await WriteJsonAsync(response, ListJson ?? "[" + string.Join(",", Containers.Keys.Select(id => $$"""{"Id":"{{id}}"}""")) + "]");
            }
            else if (path.Contains("/containers/", StringComparison.Ordinal) && path.EndsWith("/json", StringComparison.Ordinal))
            {
                var id = path.Split('/')[^2];
                if (Containers.TryGetValue(id, out var json)) await WriteJsonAsync(response, json);
                else await WriteJsonAsync(response, $$"""{"message":"No such container: {{id}}"}""", 404);
            }
            else if (path.EndsWith("/events", StringComparison.Ordinal))
            {
                // A chunked body that ends with the terminating chunk: the daemon closing the stream cleanly.
                response.StatusCode = 200;
                response.ContentType = "application/json";
                response.SendChunked = true;
                var first = _firstStreamArrived.TrySetResult();
                // All of this stream's events in one write: a burst, as a busy engine sends them.
                var bytes = Encoding.UTF8.GetBytes(string.Concat(EventsForStream(EventStreams).Select(e => e + "\n")));
                if (bytes.Length > 0) await response.OutputStream.WriteAsync(bytes);
                await response.OutputStream.FlushAsync();
                if (first) _firstStreamWritten.TrySetResult();

                if (KeepStreamsOpen) await Task.Delay(Timeout.Infinite, _stop.Token);
                else await Task.Delay(100);
                response.Close();
            }
            else
            {
                await WriteJsonAsync(response, """{"message":"page not found"}""", 404);
            }
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // client went away
        }
    }

    private static async Task WriteJsonAsync(HttpListenerResponse response, string json, int status = 200)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
        }

        _stop.Dispose();
    }
}
