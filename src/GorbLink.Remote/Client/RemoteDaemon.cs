using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace GorbLink.Remote.Client;

/// <summary>
/// One GORB daemon as a sink of the pipeline: each pass reconciles the daemon to the desired snapshot (mapped to GORB's
/// terms once for all daemons, <see cref="RemoteDesiredStates"/>). Its <see cref="SinkRunner"/> gives it its own backoff
/// (1 s doubling to 15 s by default) and resync; refused writes are retried after the retry interval, and between passes
/// a cheap probe (GET /service) notices a daemon that lost the services this agent put there. Daemons never wait on each
/// other or on the kernel.
/// </summary>
public sealed class RemoteDaemon : IStateSink, IDriftProbe, ISinkRunnerLog
{
    private readonly RemoteReconciler _reconciler;
    private readonly GorbClient _client;
    private readonly RemoteDesiredStates _states;
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
        RemoteDesiredStates states,
        CircuitBreakerStateProvider breaker,
        RemoteOptions options,
        ILogger logger,
        TimeProvider time)
    {
        Endpoint = endpoint;
        _client = client;
        _reconciler = reconciler;
        _states = states;
        _breaker = breaker;
        _options = options;
        _logger = logger;
        _time = time;
        _status = new RemoteDaemonStatus { Daemon = endpoint.Name, Url = endpoint.BaseAddress.ToString() };
        Runner = new SinkRunner(this, new SinkRunnerOptions
        {
            ResyncInterval = options.ResyncInterval,
            InitialBackoff = options.InitialBackoff,
            MaxBackoff = options.MaxBackoff,
            // Only an unreachable daemon is retried; anything else (a damaged ownership file first) stops the agent.
            IsFatal = static e => e is not RemoteUnavailableException,
        }, this, time);
    }

    /// <summary>Drives this daemon's passes; its counters are the daemon's pass counters.</summary>
    public SinkRunner Runner { get; }

    public RemoteEndpoint Endpoint { get; }
    public RemoteReconciler Reconciler => _reconciler;
    public string Name => Endpoint.Name;
    /// <summary>A container without a vip label asks for the daemon's own default address.</summary>
    public DefaultVip DefaultVip => RemoteDesiredMapper.DaemonDefault;
    public TimeSpan ProbeInterval => _options.ProbeInterval;

    public RemoteDaemonStatus Status
    {
        get
        {
            var latest = _states.Latest?.Revision;
            var counters = Runner.Counters;
            lock (_gate)
            {
                var s = _status;
                // In sync: the last pass succeeded and applied the latest desired state.
                var desired = Math.Max(s.DesiredRevision, latest ?? 0);
                return s with
                {
                    Breaker = BreakerState, Counters = counters, DesiredRevision = desired,
                    InSync = s.InSync && counters.ConsecutiveFailures == 0 && counters.AppliedRevision == desired,
                };
            }
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

    /// <exception cref="RemoteUnavailableException">The daemon could not be read or written at all (the runner backs off).</exception>
    /// <exception cref="RemoteOwnershipException">The ownership file is damaged or cannot be written (fatal).</exception>
    public async Task<SinkPassOutcome> ApplyAsync(DesiredSnapshot desired, CancellationToken cancellationToken)
    {
        var remote = _states.For(desired);
        RemotePassResult result;
        try
        {
            result = await _reconciler.ReconcileAsync(remote, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteUnavailableException)
        {
            Record(remote, null);
            throw;
        }
        if (!_firstSyncLogged && result.Succeeded)
        {
            Log.FirstSync(_logger, Name, result.Services, result.Backends);
            _firstSyncLogged = true;
        }
        Record(remote, result);
        DateTimeOffset? retry = result.Succeeded ? null : _time.GetUtcNow() + _options.RetryInterval;
        return new SinkPassOutcome(result.Writes, result.Failures, retry, result.Duration);
    }

    /// <summary>True when the daemon lost a service this agent put there, or does not answer.</summary>
    public async Task<bool> HasDriftedAsync(DesiredSnapshot applied, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> ids;
        try
        {
            ids = await _client.ListServicesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteUnavailableException e)
        {
            Log.Drift(_logger, Name, e.Message);
            return true;
        }
        var present = new HashSet<string>(ids, StringComparer.Ordinal);
        foreach (var service in _states.For(applied).Services)
        {
            if (service.Backends.All(b => b.Draining) || present.Contains(service.Id)) continue;
            Log.Drift(_logger, Name, $"service {service.Id} is missing");
            return true;
        }
        return false;
    }

    void ISinkRunnerLog.FirstPass(DesiredSnapshot desired, SinkPassOutcome outcome)
    {
        // Logged by the pass itself once one succeeds in full (FirstSync).
    }

    void ISinkRunnerLog.PassFailed(Exception exception, int failuresInRow, TimeSpan retryIn) =>
        Log.Unavailable(_logger, exception.Message, retryIn, failuresInRow);

    void ISinkRunnerLog.Recovered(int failuresInRow) => Log.Recovered(_logger, Name, failuresInRow);

    void ISinkRunnerLog.Fatal(Exception exception)
    {
        // The host logs why the agent stops (RemoteAgentFatal).
    }

    private void Record(RemoteDesiredState desired, RemotePassResult? result)
    {
        var latest = Math.Max(_states.Latest?.Revision ?? desired.Revision, desired.Revision);
        lock (_gate)
        {
            var s = _status;
            _status = result is not null
                ? s with
                {
                    Reachable = true,
                    InSync = result.Succeeded,
                    DesiredRevision = latest,
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
                    DesiredRevision = latest,
                };
        }
    }
}
