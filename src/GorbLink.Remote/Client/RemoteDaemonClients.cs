using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace GorbLink.Remote.Client;

/// <summary>The daemons' named HttpClients as registered, with each daemon's circuit breaker (for its status).</summary>
public sealed class RemoteDaemonClients(IReadOnlyDictionary<RemoteEndpoint, CircuitBreakerStateProvider> breakers)
{
    public IReadOnlyDictionary<RemoteEndpoint, CircuitBreakerStateProvider> Breakers { get; } = breakers;

    public static string ClientName(RemoteEndpoint endpoint) => "gorb:" + endpoint.BaseAddress;
}

public static class RemoteServiceCollectionExtensions
{
    /// <summary>
    /// Registers one named HttpClient per daemon with the standard resilience handler (attempt and total timeouts, retries
    /// of idempotent calls, its own circuit breaker) and the <see cref="RemoteDaemonClients"/> that lists them.
    /// HttpClient's own per-request log lines are removed; a host should also filter the "Polly" category, since the
    /// sinks log what matters themselves (failures with backoff, breaker transitions), once.
    /// </summary>
    /// <param name="logger">Where breaker transitions are logged.</param>
    public static RemoteDaemonClients AddGorbDaemonClients(this IServiceCollection services, RemoteOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var breakers = new Dictionary<RemoteEndpoint, CircuitBreakerStateProvider>();
        foreach (var endpoint in options.Endpoints.DistinctBy(e => e.BaseAddress))
        {
            var breaker = new CircuitBreakerStateProvider();
            breakers.Add(endpoint, breaker);
            AddDaemonClient(services, endpoint, options, breaker, logger);
        }
        var clients = new RemoteDaemonClients(breakers);
        services.AddSingleton(clients);
        return clients;
    }

    private static void AddDaemonClient(IServiceCollection services, RemoteEndpoint endpoint, RemoteOptions options, CircuitBreakerStateProvider breaker, ILogger logger)
    {
        var r = options.Resilience;
        services.AddHttpClient(RemoteDaemonClients.ClientName(endpoint), http =>
            {
                http.BaseAddress = endpoint.BaseAddress;
                // The resilience handler's total timeout governs; this is only a backstop.
                http.Timeout = r.TotalTimeout + TimeSpan.FromSeconds(5);
                if (options.Token is { Length: > 0 } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                http.DefaultRequestHeaders.UserAgent.ParseAdd("gorblink");
            })
            .RemoveAllLoggers()
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

}
