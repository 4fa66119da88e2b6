using GorbLink.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Client;

/// <summary>What one pass against one daemon did.</summary>
public sealed record RemotePassResult
{
    public long Revision { get; init; }
    public int Writes { get; init; }
    public IReadOnlyList<string> Failures { get; init; } = [];
    public IReadOnlyList<string> Refusals { get; init; } = [];
    /// <summary>Desired services and backends on the daemon after the pass.</summary>
    public int Services { get; init; }
    public int Backends { get; init; }
    public TimeSpan Duration { get; init; }
    public bool DryRun { get; init; }
    public bool Succeeded => Failures.Count == 0;
}

/// <summary>
/// One level-triggered pass against one GORB daemon: read its view (GET /service, GET /service/{vs} for every service,
/// GET /service/{vs}/{rs} for the backends this agent wants or owns), plan the calls that make it match the desired
/// state within what this agent owns (<see cref="RemotePlanner"/>, pure), and run them (<see cref="RemotePlanExecutor"/>).
/// Any transport failure (<see cref="RemoteUnavailableException"/>) ends the pass; the next one starts from a fresh read.
/// A write the daemon refuses is logged once and retried by the next pass. Not thread-safe: one runner per daemon.
/// </summary>
public sealed class RemoteReconciler
{
    private readonly GorbClient _client;
    private readonly RemoteOwnership _owned;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _dryRun;
    private readonly OnceReporter _reportedFailures = new();
    private readonly OnceReporter _reportedRefusals = new();

    public RemoteReconciler(GorbClient client, RemoteOwnership ownership, ILogger logger, TimeProvider? time = null, bool dryRun = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(ownership);
        ArgumentNullException.ThrowIfNull(logger);
        _client = client;
        _owned = ownership;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _dryRun = dryRun;
    }

    public RemoteOwnership Ownership => _owned;
    private string Daemon => _client.Endpoint.Name;

    /// <summary>The steps of the last pass and how each ended; empty before the first.</summary>
    public IReadOnlyList<RemoteCallResult> LastCalls { get; private set; } = [];

    /// <exception cref="RemoteUnavailableException">The daemon could not be read or written at all.</exception>
    /// <exception cref="RemoteOwnershipException">The ownership file is damaged or cannot be written.</exception>
    public async Task<RemotePassResult> ReconcileAsync(RemoteDesiredState desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var started = _time.GetTimestamp();
        _owned.Load();
        var view = await ReadAsync(_client, _owned, desired, cancellationToken).ConfigureAwait(false);
        var plan = RemotePlanner.Plan(desired, view, [.. _owned.Services], _owned.Backends.ToDictionary(StringComparer.Ordinal));
        Forget(plan);
        var execution = await new RemotePlanExecutor(_client, _owned, view, Save, _dryRun, _logger, cancellationToken)
            .RunAsync(plan).ConfigureAwait(false);
        Save();
        LastCalls = execution.Results;

        var (services, backends) = Count(desired, view);
        var duration = _time.GetElapsedTime(started);
        if (execution.Writes == 0 && execution.Failures.Count == 0) Log.PassUnchanged(_logger, Daemon, desired.Revision, duration.TotalMilliseconds);
        else Log.PassApplied(_logger, Daemon, desired.Revision, duration.TotalMilliseconds, execution.Writes, execution.Failures.Count, services, backends);
        _reportedFailures.Report(execution.Failures, m => Log.WriteRefused(_logger, Daemon, m), m => Log.WriteRefusedAgain(_logger, Daemon, m));
        _reportedRefusals.Report(execution.Refusals, m => Log.LeftAlone(_logger, Daemon, m));
        return new RemotePassResult
        {
            Revision = desired.Revision,
            Writes = execution.Writes,
            Failures = execution.Failures,
            Refusals = execution.Refusals,
            Services = services,
            Backends = backends,
            Duration = duration,
            DryRun = _dryRun,
        };
    }

    private static (int Services, int Backends) Count(RemoteDesiredState desired, DaemonView view)
    {
        int services = 0, backends = 0;
        foreach (var service in desired.Services)
        {
            if (!view.Services.ContainsKey(service.Id)) continue;
            services++;
            foreach (var backend in service.Backends)
            {
                if (view.Home.TryGetValue(backend.Id, out var home) && home == service.Id) backends++;
            }
        }
        return (services, backends);
    }

    private void Save()
    {
        if (!_dryRun) _owned.Save();
    }

    /// <summary>Owned entries the daemon no longer has (it restarted, or someone deleted them): forgotten, re-created if still wanted.</summary>
    private void Forget(RemotePlan plan)
    {
        foreach (var vsId in plan.ForgetServices)
        {
            _owned.RemoveService(vsId);
            Log.Forgot(_logger, Daemon, $"service {vsId}");
        }
        foreach (var rsId in plan.ForgetBackends)
        {
            _owned.RemoveBackend(rsId);
            Log.Forgot(_logger, Daemon, $"backend {rsId}");
        }
    }

    /// <summary>The daemon as a pass sees it: every service, and the details of the backends this agent wants or owns.</summary>
    internal static async Task<DaemonView> ReadAsync(GorbClient client, RemoteOwnership owned, RemoteDesiredState desired, CancellationToken cancellationToken)
    {
        var view = new DaemonView();
        foreach (var vsId in await client.ListServicesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (view.Services.ContainsKey(vsId)) continue;
            var info = await client.GetServiceAsync(vsId, cancellationToken).ConfigureAwait(false);
            if (info is null) continue; // deleted between the list and now
            view.WithService(vsId, info);
        }
        var interest = new HashSet<string>(owned.Backends.Keys, StringComparer.Ordinal);
        foreach (var service in desired.Services)
        {
            foreach (var backend in service.Backends) interest.Add(backend.Id);
        }
        foreach (var rsId in interest.Order(StringComparer.Ordinal))
        {
            if (!view.Home.TryGetValue(rsId, out var vsId)) continue;
            var info = await client.GetBackendAsync(vsId, rsId, cancellationToken).ConfigureAwait(false);
            if (info is null) view.RemoveBackend(rsId);
            else view.WithBackend(rsId, info);
        }
        return view;
    }
}
