using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GorbLink.Remote.Tests.Support;

namespace GorbLink.Remote.Tests.Server;

/// <summary>
/// `gorblink serve --max-concurrent-checks N`: however many backends there are, at most N health checks run at once
/// (GORB runs one unbounded goroutine per backend), and every backend still gets checked.
/// </summary>
public sealed class ServeCheckConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task PutAsync(TestDaemon daemon, string path, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await daemon.Http.SendAsync(request, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>
    /// Six backends whose http checks (interval 1 s, so every first check is due within 1 s) all go to one server the
    /// test owns, which holds every request until released and counts the requests it holds at once. Held, a check keeps
    /// its slot: exactly N are held, however long the test waits past the moment all six were due. Released, the
    /// waiting checks run, still never more than N at once, and every backend's check arrives.
    /// </summary>
    [Fact]
    public async Task NoMoreThanMaxConcurrentChecksRunAtOnceAndEveryBackendIsChecked()
    {
        const int max = 2;
        const int backends = 6;
        await using var checks = HoldingCheckServer.Start();
        await using var daemon = await TestDaemon.CreateAsync(pulses: true,
            configure: o => o with { MaxConcurrentChecks = max, CheckTimeout = TimeSpan.FromSeconds(20) });
        await PutAsync(daemon, "/service/web-80-tcp", """{"host":"127.0.0.10","port":80}""");
        var created = Stopwatch.StartNew();
        for (var k = 1; k <= backends; k++)
        {
            await PutAsync(daemon, $"/service/web-80-tcp/b{k}",
                $$$$"""{"host":"10.0.0.{{{{k}}}}","port":80,"pulse":{"type":"http","interval":"1s","args":{"host":"127.0.0.1","port":{{{{checks.Port}}}},"path":"/check/b{{{{k}}}}"}}}""");
        }

        await Eventually.TrueAsync(() => checks.Held == max, $"{max} checks held at the server", TimeSpan.FromSeconds(10), () => checks.Describe());
        // Every first check was due within 1 s of its backend's creation; without the bound all six would be held by now.
        var rest = TimeSpan.FromSeconds(1.5) - created.Elapsed;
        if (rest > TimeSpan.Zero) await Task.Delay(rest, Ct);
        Assert.True(checks.MaxHeld == max && checks.Paths.Count == max, checks.Describe());

        checks.Release();

        await Eventually.TrueAsync(() => checks.Paths.Count == backends, "every backend's check arrived", TimeSpan.FromSeconds(10), () => checks.Describe());
        Assert.True(checks.MaxHeld == max, checks.Describe());
        Assert.Equal([.. Enumerable.Range(1, backends).Select(k => $"/check/b{k}")], checks.Paths.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// An HTTP server on 127.0.0.1 that holds every request until <see cref="Release"/> (then answers 200 after a short
    /// hold) and counts the requests it holds at once. A request stops counting before its answer is written, so the
    /// count never exceeds the number of checks really in progress.
    /// </summary>
    private sealed class HoldingCheckServer : IAsyncDisposable
    {
        private static readonly byte[] Ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        private readonly TcpListener _listener;
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stopping = new();
        private readonly ConcurrentDictionary<string, int> _paths = new(StringComparer.Ordinal);
        private readonly ConcurrentBag<Task> _serving = [];
        private readonly Task _accepting;
        private int _held;
        private int _maxHeld;

        private HoldingCheckServer()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start(backlog: 64);
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _accepting = AcceptAsync();
        }

        public static HoldingCheckServer Start() => new();

        public int Port { get; }
        public int Held => Volatile.Read(ref _held);
        public int MaxHeld => Volatile.Read(ref _maxHeld);
        /// <summary>The distinct paths requested so far (one per backend).</summary>
        public IReadOnlyCollection<string> Paths => [.. _paths.Keys];

        public string Describe() =>
            $"held now {Held}, at most {MaxHeld}; requests: {string.Join(", ", _paths.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}×{p.Value}"))}";

        public void Release() => _released.TrySetResult();

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
                    _serving.Add(ServeAsync(client));
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    if (await RawHttp.ReadRequestHeadAsync(stream, _stopping.Token) is not { } head) return;
                    var path = head.Split(' ', 3)[1];
                    _paths.AddOrUpdate(path, 1, (_, count) => count + 1);
                    var held = Interlocked.Increment(ref _held);
                    int max;
                    while (held > (max = Volatile.Read(ref _maxHeld)) && Interlocked.CompareExchange(ref _maxHeld, held, max) != max)
                    {
                    }
                    try
                    {
                        await _released.Task.WaitAsync(_stopping.Token);
                        await Task.Delay(100, _stopping.Token);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _held);
                    }
                    await stream.WriteAsync(Ok, _stopping.Token);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            _listener.Stop();
            await _accepting;
            await Task.WhenAll(_serving);
            _stopping.Dispose();
        }
    }
}
