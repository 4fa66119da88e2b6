using System.Net.Http.Headers;
using GorbLink.Core.Containers;
using GorbLink.Core.Labels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;

namespace GorbLink.Remote.Client;

/// <summary>
/// Remote mode: one desired-state feed from the container store, and one sink per daemon (typed client over a named
/// HttpClient with the standard resilience handler and its own circuit breaker, ownership file, loop). The Docker side
/// and the desired-state builder are the same as for the kernel; only the sink differs.
/// </summary>
public sealed class RemoteAgent : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly RemoteOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _statusGate = new();

    private RemoteAgent(ServiceProvider services, RemoteDesiredFeed feed, IReadOnlyList<RemoteDaemon> daemons, RemoteOptions options, ILogger logger, TimeProvider time)
    {
        _services = services;
        Feed = feed;
        Daemons = daemons;
        _options = options;
        _logger = logger;
        _time = time;
        foreach (var daemon in daemons) daemon.StatusChanged += _ => WriteStatus();
    }

    public RemoteDesiredFeed Feed { get; }
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
        // HttpClient's and Polly's own per-attempt lines would flood the log during an outage; the sinks log what
        // matters themselves (failures with backoff, breaker transitions), once.
        collection.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        collection.AddSingleton(time);
        var breakers = new Dictionary<RemoteEndpoint, CircuitBreakerStateProvider>();
        foreach (var endpoint in options.Endpoints.DistinctBy(e => e.BaseAddress))
        {
            var breaker = new CircuitBreakerStateProvider();
            breakers.Add(endpoint, breaker);
            AddDaemonClient(collection, endpoint, options, breaker, logger);
        }
        var services = collection.BuildServiceProvider();
        var factory = services.GetRequiredService<IHttpClientFactory>();

        var daemons = new List<RemoteDaemon>(breakers.Count);
        foreach (var (endpoint, breaker) in breakers)
        {
            var client = new GorbClient(factory.CreateClient(ClientName(endpoint)), endpoint);
            var ownership = new RemoteOwnership(options.OwnershipPath(endpoint), endpoint.Name);
            var reconciler = new RemoteReconciler(client, ownership, logger, time, options.DryRun);
            daemons.Add(new RemoteDaemon(endpoint, client, reconciler, breaker, options, logger, time));
        }
        var feed = new RemoteDesiredFeed(store, labels, options.CoalesceDelay, options.ReportContainerProblems, logger, time);
        return new RemoteAgent(services, feed, daemons, options, logger, time);
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

    /// <summary>Runs the feed and every daemon's sink until cancelled. A fatal error (ownership file) ends it all.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new List<Task> { Guard(Feed.RunAsync(failed.Token), failed) };
        foreach (var daemon in Daemons) tasks.Add(Guard(daemon.RunAsync(Feed, failed.Token), failed));
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task Guard(Task task, CancellationTokenSource failed)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

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
            var desired = Feed.Current ?? RemoteDesiredState.Empty;
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
