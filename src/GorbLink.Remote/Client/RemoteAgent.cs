using System.Net.Http.Headers;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;

namespace GorbLink.Remote.Client;

/// <summary>
/// Remote mode: the pipeline (<see cref="PipelineLoop"/>) over the container store with remote label options, and one
/// sink per daemon (<see cref="RemoteDaemon"/>: typed client over a named HttpClient with the standard resilience handler
/// and its own circuit breaker, ownership file and <see cref="SinkRunner"/>). The Docker side, the desired-state builder
/// and the loop are the same as for the kernel; only the sinks differ.
/// </summary>
public sealed class RemoteAgent : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly RemoteOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _statusGate = new();

    private RemoteAgent(ServiceProvider services, PipelineLoop pipeline, RemoteDesiredStates states, IReadOnlyList<RemoteDaemon> daemons,
        RemoteOptions options, ILogger logger, TimeProvider time)
    {
        _services = services;
        Pipeline = pipeline;
        States = states;
        Daemons = daemons;
        _options = options;
        _logger = logger;
        _time = time;
        foreach (var daemon in daemons) daemon.StatusChanged += _ => WriteStatus();
    }

    public PipelineLoop Pipeline { get; }
    public RemoteDesiredStates States { get; }
    public IReadOnlyList<RemoteDaemon> Daemons { get; }
    public RemoteOptions Options => _options;

    /// <summary>Builds everything; no I/O (ownership files are read on each daemon's first pass).</summary>
    public static RemoteAgent Create(ContainerStore store, LabelOptions labels, RemoteOptions options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (options.Endpoints.Count == 0) throw new ArgumentException("remote mode needs at least one daemon", nameof(options));
        time ??= TimeProvider.System;
        var logger = loggerFactory.CreateLogger("GorbLink.Remote");

        var collection = new ServiceCollection();
        var breakers = AddDaemonClients(collection, options, logger);
        collection.AddSingleton(time);
        var services = collection.BuildServiceProvider();
        var factory = services.GetRequiredService<IHttpClientFactory>();

        var states = new RemoteDesiredStates(options.ReportContainerProblems, logger);
        var daemons = new List<RemoteDaemon>(breakers.Count);
        var runners = new List<SinkRunner>(breakers.Count);
        foreach (var (endpoint, breaker) in breakers)
        {
            var client = new GorbClient(factory.CreateClient(ClientName(endpoint)), endpoint);
            var ownership = new RemoteOwnership(options.OwnershipPath(endpoint), endpoint.Name);
            var reconciler = new RemoteReconciler(client, ownership, logger, time, options.DryRun);
            var daemon = new RemoteDaemon(endpoint, client, reconciler, states, breaker, options, logger, time);
            daemons.Add(daemon);
            runners.Add(new SinkRunner(daemon, new SinkRunnerOptions
            {
                ResyncInterval = options.ResyncInterval,
                InitialBackoff = options.InitialBackoff,
                MaxBackoff = options.MaxBackoff,
                // Only an unreachable daemon is retried; anything else (a damaged ownership file first) stops the agent.
                IsFatal = static e => e is not RemoteUnavailableException,
            }, daemon, time));
        }
        var source = new ContainerDesiredStateSource(store, new DesiredStateBuilder(RemoteDesiredMapper.ForRemote(labels)));
        var pipeline = new PipelineLoop(source, runners, new PipelineLoopOptions { CoalesceDelay = options.CoalesceDelay }, states, time);
        return new RemoteAgent(services, pipeline, states, daemons, options, logger, time);
    }

    /// <summary>
    /// Registers one named HttpClient per daemon with the standard resilience handler and its own circuit breaker; the
    /// breakers are returned by daemon.
    /// </summary>
    public static IReadOnlyDictionary<RemoteEndpoint, CircuitBreakerStateProvider> AddDaemonClients(IServiceCollection services, RemoteOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        // HttpClient's and Polly's own per-attempt lines would flood the log during an outage; the sinks log what
        // matters themselves (failures with backoff, breaker transitions), once.
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        var breakers = new Dictionary<RemoteEndpoint, CircuitBreakerStateProvider>();
        foreach (var endpoint in options.Endpoints.DistinctBy(e => e.BaseAddress))
        {
            var breaker = new CircuitBreakerStateProvider();
            breakers.Add(endpoint, breaker);
            AddDaemonClient(services, endpoint, options, breaker, logger);
        }
        return breakers;
    }

    private static string ClientName(RemoteEndpoint endpoint) => "gorb:" + endpoint.BaseAddress;

    private static void AddDaemonClient(IServiceCollection services, RemoteEndpoint endpoint, RemoteOptions options, CircuitBreakerStateProvider breaker, ILogger logger)
    {
        var r = options.Resilience;
        services.AddHttpClient(ClientName(endpoint), http =>
            {
                http.BaseAddress = endpoint.BaseAddress;
                // The resilience handler's total timeout governs; this is only a backstop.
                http.Timeout = r.TotalTimeout + TimeSpan.FromSeconds(5);
                if (options.Token is { Length: > 0 } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                http.DefaultRequestHeaders.UserAgent.ParseAdd("gorblink");
            })
            .AddStandardResilienceHandler(o =>
            {
                o.AttemptTimeout.Timeout = r.AttemptTimeout;
                o.TotalRequestTimeout.Timeout = r.TotalTimeout;
                o.Retry.MaxRetryAttempts = Math.Max(1, r.MaxRetries);
                o.Retry.Delay = r.RetryDelay;
                o.Retry.BackoffType = DelayBackoffType.Exponential;
                o.Retry.UseJitter = true;
                // GET, PUT and DELETE are idempotent (a repeated PUT answers 409 "exists", a repeated DELETE 404,
                // and both are handled as such); PATCH and POST are not retried.
                o.Retry.DisableFor(HttpMethod.Post, HttpMethod.Patch, HttpMethod.Connect);
                if (r.MaxRetries <= 0) o.Retry.ShouldHandle = static _ => PredicateResult.False();
                o.CircuitBreaker.MinimumThroughput = r.MinimumThroughput;
                o.CircuitBreaker.FailureRatio = r.FailureRatio;
                o.CircuitBreaker.SamplingDuration = r.SamplingDuration;
                o.CircuitBreaker.BreakDuration = r.BreakDuration;
                o.CircuitBreaker.StateProvider = breaker;
                o.CircuitBreaker.OnOpened = args =>
                {
                    Log.BreakerOpened(logger, endpoint.Name, args.BreakDuration);
                    return default;
                };
                o.CircuitBreaker.OnHalfOpened = _ =>
                {
                    Log.BreakerHalfOpened(logger, endpoint.Name);
                    return default;
                };
                o.CircuitBreaker.OnClosed = _ =>
                {
                    Log.BreakerClosed(logger, endpoint.Name);
                    return default;
                };
            });
    }

    /// <summary>Runs the pipeline and every daemon's sink until cancelled. A fatal error (ownership file) ends it all.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Pipeline.RunAsync(cancellationToken);

    /// <summary>--cleanup-on-exit: on every daemon, delete the backends this agent created, then its services left empty.</summary>
    public async Task<IReadOnlyList<string>> CleanupAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var daemon in Daemons)
        {
            try
            {
                var result = await daemon.Reconciler.ReconcileAsync(RemoteDesiredState.Empty, cancellationToken).ConfigureAwait(false);
                problems.AddRange(result.Failures.Select(f => $"{daemon.Endpoint}: {f}"));
            }
            catch (Exception e) when (e is RemoteUnavailableException or RemoteOwnershipException)
            {
                problems.Add(e.Message);
            }
        }
        return problems;
    }

    public RemoteStatusDocument Status
    {
        get
        {
            var desired = States.Latest ?? RemoteDesiredState.Empty;
            return new RemoteStatusDocument
            {
                Written = _time.GetUtcNow(),
                DesiredRevision = desired.Revision,
                DesiredServices = desired.Services.Count,
                DesiredBackends = desired.BackendCount,
                NotSent = desired.Problems,
                Daemons = [.. Daemons.Select(d => d.Status)],
            };
        }
    }

    private void WriteStatus()
    {
        if (!_options.WriteStatus || _options.DryRun) return;
        lock (_statusGate)
        {
            try
            {
                RemoteStatusFile.Write(_options.StatusPath, Status);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.StatusWriteFailed(_logger, _options.StatusPath, e.Message);
            }
        }
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
