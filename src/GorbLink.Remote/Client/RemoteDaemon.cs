using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace GorbLink.Remote.Client;

/// <summary>
/// The sink of one daemon: a loop that reconciles the daemon to the latest desired snapshot whenever a new one is
/// published, a probe finds drift, a refused write is due for retry or the resync interval passes; after a failure it
/// backs off (1 s doubling to 15 s by default) and then starts over from a fresh read. Daemons never wait on each other.
/// </summary>
public sealed class RemoteDaemon
{
    private readonly RemoteReconciler _reconciler;
    private readonly GorbClient _client;
    private readonly RemoteOptions _options;
    private readonly CircuitBreakerStateProvider _breaker;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private RemoteDaemonStatus _status;
    private bool _firstSyncLogged;

    internal RemoteDaemon(
        RemoteEndpoint endpoint,
        GorbClient client,
        RemoteReconciler reconciler,
        CircuitBreakerStateProvider breaker,
        RemoteOptions options,
        ILogger logger,
        TimeProvider time)
    {
        Endpoint = endpoint;
        _client = client;
        _reconciler = reconciler;
        _breaker = breaker;
        _options = options;
        _logger = logger;
        _time = time;
        _status = new RemoteDaemonStatus { Daemon = endpoint.Name, Url = endpoint.BaseAddress.ToString() };
    }

    public RemoteEndpoint Endpoint { get; }
    public RemoteReconciler Reconciler => _reconciler;

    /// <summary>Raised after every pass, successful or not.</summary>
    public event Action<RemoteDaemon>? StatusChanged;

    public RemoteDaemonStatus Status
    {
        get
        {
            lock (_gate) return _status with { Breaker = BreakerState };
        }
    }

    public string BreakerState => _breaker.CircuitState switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half-open",
        CircuitState.Isolated => "isolated",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>Runs until cancelled; throws only for a damaged or unwritable ownership file.</summary>
    public async Task RunAsync(RemoteDesiredFeed feed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feed);
        var desired = await feed.WaitForNewerAsync(0, cancellationToken).ConfigureAwait(false);
        var backoff = _options.InitialBackoff;
        var failuresInRow = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            desired = feed.Current ?? desired;
            DateTimeOffset wakeAt;
            bool healthy;
            try
            {
                var result = await _reconciler.ReconcileAsync(desired, cancellationToken).ConfigureAwait(false);
                if (failuresInRow > 0) Log.Recovered(_logger, Endpoint.Name, failuresInRow);
                if (!_firstSyncLogged && result.Succeeded)
                {
                    Log.FirstSync(_logger, Endpoint.Name, result.Services, result.Backends);
                    _firstSyncLogged = true;
                }
                failuresInRow = 0;
                backoff = _options.InitialBackoff;
                Record(desired, feed, result, null);
                wakeAt = _time.GetUtcNow() + (result.Succeeded ? _options.ResyncInterval : _options.RetryInterval);
                healthy = true;
            }
            catch (RemoteUnavailableException e)
            {
                failuresInRow++;
                Log.Unavailable(_logger, e.Message, backoff, failuresInRow);
                Record(desired, feed, null, e.Message);
                wakeAt = _time.GetUtcNow() + backoff;
                backoff = backoff * 2 > _options.MaxBackoff ? _options.MaxBackoff : backoff * 2;
                healthy = false;
            }
            desired = await WaitAsync(feed, desired, wakeAt, healthy, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for a newer snapshot, the wake-up time, or drift seen by the probe (only while healthy: after a failure
    /// the backoff is kept, so that a daemon that is down is not hammered by every container change).
    /// </summary>
    private async Task<RemoteDesiredState> WaitAsync(RemoteDesiredFeed feed, RemoteDesiredState applied, DateTimeOffset wakeAt, bool healthy, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var newer = healthy ? feed.WaitForNewerAsync(applied.Revision, cts.Token) : null;
        try
        {
            while (true)
            {
                var now = _time.GetUtcNow();
                if (now >= wakeAt) return feed.Current ?? applied;
                var next = healthy && _options.ProbeInterval < wakeAt - now ? _options.ProbeInterval : wakeAt - now;
                var timer = Task.Delay(next, _time, cts.Token);
                var first = newer is null ? await Task.WhenAny(timer).ConfigureAwait(false) : await Task.WhenAny(newer, timer).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (newer is not null && first == newer) return await newer.ConfigureAwait(false);
                if (healthy && _time.GetUtcNow() < wakeAt && await DriftAsync(applied, cancellationToken).ConfigureAwait(false)) return feed.Current ?? applied;
            }
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            if (newer is not null)
            {
                try { await newer.ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
        }
    }

    /// <summary>True when the daemon lost a service this agent put there, or does not answer.</summary>
    private async Task<bool> DriftAsync(RemoteDesiredState applied, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> ids;
        try
        {
            ids = await _client.ListServicesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteUnavailableException e)
        {
            Log.Drift(_logger, Endpoint.Name, e.Message);
            return true;
        }
        var present = new HashSet<string>(ids, StringComparer.Ordinal);
        foreach (var service in applied.Services)
        {
            if (service.Backends.All(b => b.Draining) || present.Contains(service.Id)) continue;
            Log.Drift(_logger, Endpoint.Name, $"service {service.Id} is missing");
            return true;
        }
        return false;
    }

    private void Record(RemoteDesiredState desired, RemoteDesiredFeed feed, RemotePassResult? result, string? error)
    {
        var now = _time.GetUtcNow();
        var latest = feed.Current?.Revision ?? desired.Revision;
        lock (_gate)
        {
            var s = _status;
            _status = result is not null
                ? s with
                {
                    Reachable = true,
                    InSync = result.Succeeded && desired.Revision == latest,
                    Passes = s.Passes + 1,
                    ConsecutiveFailures = 0,
                    DesiredRevision = latest,
                    AppliedRevision = desired.Revision,
                    LastPassAt = now,
                    LastSuccessAt = now,
                    LastPassMilliseconds = result.Duration.TotalMilliseconds,
                    LastPassWrites = result.Writes,
                    Services = result.Services,
                    Backends = result.Backends,
                    OwnedServices = _reconciler.Ownership.Services.Count,
                    OwnedBackends = _reconciler.Ownership.Backends.Count,
                    Failures = result.Failures,
                    Refused = result.Refusals,
                }
                : s with
                {
                    Reachable = false,
                    InSync = false,
                    Passes = s.Passes + 1,
                    FailedPasses = s.FailedPasses + 1,
                    ConsecutiveFailures = s.ConsecutiveFailures + 1,
                    DesiredRevision = latest,
                    LastPassAt = now,
                    LastError = error,
                    LastErrorAt = now,
                };
        }
        StatusChanged?.Invoke(this);
    }
}
