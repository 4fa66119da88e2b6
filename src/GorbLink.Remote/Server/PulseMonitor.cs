using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

/// <summary>
/// Health checks like GORB's pulses: one loop per backend, the first check after a random delay within the interval
/// (no thundering herd), then one per interval; tcp (connect), http (status must equal expect; http:// only, redirects
/// fail) or none (always up). Unlike GORB, at most <c>MaxConcurrentChecks</c> checks run at once, whatever the number of
/// backends. Results go to a callback that sets the desired weight; a check that throws counts as down.
/// </summary>
internal sealed class PulseMonitor : IAsyncDisposable
{
    private readonly SemaphoreSlim _concurrency;
    private readonly TimeSpan _timeout;
    private readonly Func<BackendEntry, bool, string, Task> _report;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _running = [];

    public PulseMonitor(int maxConcurrent, TimeSpan timeout, Func<BackendEntry, bool, string, Task> report, ILogger logger, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        _concurrency = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        _timeout = timeout;
        _report = report;
        _logger = logger;
        _time = time;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public void Start(BackendEntry backend)
    {
        if (backend.Pulse.Kind == PulseKind.None) return; // always up
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        backend.PulseStop = stop;
        var task = RunAsync(backend, stop.Token);
        lock (_gate) _running.Add(task);
        _ = task.ContinueWith(t =>
        {
            lock (_gate) _running.Remove(t);
            stop.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Stop(BackendEntry backend)
    {
        try
        {
            backend.PulseStop?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync(BackendEntry backend, CancellationToken cancellationToken)
    {
        try
        {
            var interval = backend.Pulse.Interval;
            var first = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds);
            await Task.Delay(first, _time, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                bool up;
                string detail;
                await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    (up, detail) = await CheckAsync(backend, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _concurrency.Release();
                }
                try
                {
                    await _report(backend, up, detail).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One failed report must not end the checks: the backend would stay at its last weight for ever.
                    Log.PulseCrashed(_logger, backend.Id, $"{e.Message} (checks go on)");
                }
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.PulseCrashed(_logger, backend.Id, e.Message);
        }
    }

    private async Task<(bool Up, string Detail)> CheckAsync(BackendEntry backend, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var pulse = backend.Pulse;
        var address = backend.Destination.Key.Address;
        var port = backend.Destination.Key.Port;
        try
        {
            if (pulse.Kind == PulseKind.Tcp)
            {
                using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).ConfigureAwait(false);
                return (true, "");
            }
            var host = pulse.Host ?? (address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString());
            var uri = new UriBuilder("http", host.Trim('[', ']'), pulse.Port ?? port, pulse.Path).Uri;
            using var request = new HttpRequestMessage(new HttpMethod(pulse.HttpMethod), uri);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return (int)response.StatusCode == pulse.Expect
                ? (true, "")
                : (false, $"{pulse.HttpMethod} {uri} answered {(int)response.StatusCode}, expected {pulse.Expect}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"no answer within {_timeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever the check throws (a host the URL builder refuses, say) is a failed check, never the end of the loop.
            return (false, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] running;
        lock (_gate) running = [.. _running];
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _http.Dispose();
        _stopping.Dispose();
        _concurrency.Dispose();
    }
}
