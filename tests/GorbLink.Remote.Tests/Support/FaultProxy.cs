using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Tests.Support;

/// <summary>What the proxy does to one request instead of (or before) forwarding it.</summary>
internal abstract record Fault
{
    /// <summary>Answer with this status and a GORB error body; the daemon never sees the request.</summary>
    public sealed record Status(HttpStatusCode Code) : Fault;

    /// <summary>Drop the connection without a single byte of answer; the daemon never sees the request.</summary>
    public sealed record Reset : Fault;

    /// <summary>Hold the request this long, then forward it (a slow daemon: it still does the work, even if the client gave up).</summary>
    public sealed record Delay(TimeSpan Duration) : Fault;
}

/// <summary>One request as it reached the proxy, in arrival order: what the agent attempted, and what became of it.</summary>
internal sealed record ProxiedRequest(long Sequence, string Method, string Path, Fault? Fault)
{
    /// <summary>Passed on to the daemon (possibly late), as opposed to answered or dropped by the proxy.</summary>
    public bool Forwarded => Fault is null or Fault.Delay;

    public override string ToString() => $"#{Sequence} {Method} {Path}{Fault switch
    {
        null => "",
        Fault.Status s => $" → injected {(int)s.Code}",
        Fault.Reset => " → reset",
        Fault.Delay d => $" → delayed {d.Duration.TotalMilliseconds:0} ms",
        _ => "",
    }}";
}

/// <summary>
/// A fault-injecting HTTP proxy on 127.0.0.1 (Kestrel) in front of a <see cref="TestDaemon"/>: the agent is pointed at
/// <see cref="Endpoint"/>; the test makes the daemon slow (<see cref="Delay"/>), or makes chosen requests fail with a
/// status or a dropped connection (<see cref="Inject"/>), and reads every attempt that arrived (<see cref="Requests"/>).
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _forward;
    private readonly Uri _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];
    private long _sequence;
    private long _delayTicks;

    private sealed class Rule(string? method, string? path, Fault fault, int times)
    {
        public string? Method { get; } = method;
        public string? Path { get; } = path;
        public Fault Fault { get; } = fault;
        public int Remaining { get; set; } = times;
    }

    private FaultProxy(WebApplication app, Uri target)
    {
        _app = app;
        _target = target;
        _forward = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; private set; }

    /// <summary>As given to gorblink run -r.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Every request is held this long before it is forwarded (0: none). Changeable at any time.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>Every request that reached the proxy, in arrival order.</summary>
    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests.OrderBy(r => r.Sequence)];

    public string Journal => string.Join("\n", Requests);

    public static async Task<FaultProxy> StartAsync(TestDaemon daemon)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "fault-proxy", Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var proxy = new FaultProxy(app, daemon.BaseAddress);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        var address = app.Urls.Single();
        proxy.Port = new Uri(address).Port;
        return proxy;
    }

    /// <summary>
    /// The next <paramref name="times"/> requests with this method (null: any) and path (null: any; else exact, e.g.
    /// "/service/web-80-tcp") get <paramref name="fault"/>. Rules are tried in the order they were added.
    /// </summary>
    public void Inject(Fault fault, string? method = null, string? path = null, int times = 1)
    {
        lock (_gate) _rules.Add(new Rule(method, path, fault, times));
    }

    /// <summary>Removes every rule not yet used up (the delay stays as it is).</summary>
    public void Heal()
    {
        lock (_gate) _rules.Clear();
    }

    private Fault? Take(string method, string path)
    {
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if (rule.Remaining <= 0) continue;
                if (rule.Method is not null && !string.Equals(rule.Method, method, StringComparison.OrdinalIgnoreCase)) continue;
                if (rule.Path is not null && !string.Equals(rule.Path, path, StringComparison.Ordinal)) continue;
                rule.Remaining--;
                return rule.Fault;
            }
        }
        var delay = Delay;
        return delay > TimeSpan.Zero ? new Fault.Delay(delay) : null;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var method = context.Request.Method;
        var path = context.Request.Path.Value ?? "/";
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var fault = Take(method, path);
        _requests.Enqueue(new ProxiedRequest(Interlocked.Increment(ref _sequence), method, path, fault));

        switch (fault)
        {
            case Fault.Reset:
                context.Abort();
                return;
            case Fault.Status status:
                context.Response.StatusCode = (int)status.Code;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($$"""{"error":"injected by the test proxy ({{(int)status.Code}})"}""", context.RequestAborted);
                return;
            case Fault.Delay delay:
                // Not cut short when the client gives up: a slow daemon still does the work.
                try { await Task.Delay(delay.Duration, _stopping.Token); }
                catch (OperationCanceledException) { return; }
                break;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(method), new Uri(_target, path.TrimStart('/') + context.Request.QueryString));
        if (body.Length > 0 || method is "PUT" or "PATCH" or "POST")
        {
            forward.Content = new ByteArrayContent(body.ToArray());
            if (context.Request.ContentType is { } type) forward.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        if (context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization)
            forward.Headers.TryAddWithoutValidation("Authorization", authorization);
        try
        {
            using var answer = await _forward.SendAsync(forward, _stopping.Token);
            var bytes = await answer.Content.ReadAsByteArrayAsync(_stopping.Token);
            context.Response.StatusCode = (int)answer.StatusCode;
            if (answer.Content.Headers.ContentType is { } contentType) context.Response.ContentType = contentType.ToString();
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or ObjectDisposedException)
        {
            // The client gave up (its attempt timed out), or the proxy is stopping.
            context.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _forward.Dispose();
        _stopping.Dispose();
    }
}
