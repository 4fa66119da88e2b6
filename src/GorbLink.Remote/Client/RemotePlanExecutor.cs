using System.Net;
using GorbLink.Remote.Protocol;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Client;

/// <summary>How one step of a plan ended.</summary>
public enum RemoteCallOutcome
{
    /// <summary>The daemon accepted it (or, in a dry run, it would have been sent).</summary>
    Applied,
    /// <summary>The entry already existed (409): it was read back, and the steps that followed from that ran.</summary>
    Resolved,
    Failed,
    /// <summary>Not sent: a step it depends on failed.</summary>
    Skipped,
}

/// <summary>One step and how it ended; <see cref="Error"/> is the daemon's answer when it failed.</summary>
public sealed record RemoteCallResult(RemoteCall Call, RemoteCallOutcome Outcome, string? Error = null);

/// <summary>What running a plan did.</summary>
public sealed record RemoteExecution(int Writes, IReadOnlyList<string> Failures, IReadOnlyList<string> Refusals, IReadOnlyList<RemoteCallResult> Results);

/// <summary>
/// Runs a <see cref="RemotePlan"/> against one daemon, step by step, keeping the ownership record and a view of the daemon
/// up to date with each accepted call. Before a create the ownership file lists the entry (write-ahead). A 409 on create
/// is read back and handed to the planner again (<see cref="RemotePlanner.PlanExistingService"/>); a PATCH of a service
/// where the daemon has no such route runs the plan's fallback. A refused write is a failure of this pass (retried by the
/// next); a transport failure (<see cref="RemoteUnavailableException"/>) ends the pass.
/// Not thread-safe: one daemon's passes run one at a time.
/// </summary>
internal sealed class RemotePlanExecutor(
    GorbClient client,
    RemoteOwnership owned,
    DaemonView view,
    Action save,
    bool dryRun,
    ILogger logger,
    CancellationToken cancellationToken)
{
    private readonly List<string> _failures = [];
    private readonly List<string> _refusals = [];
    private readonly List<RemoteCallResult> _results = [];
    private int _writes;
    private string Daemon => client.Endpoint.Name;

    public async Task<RemoteExecution> RunAsync(RemotePlan plan)
    {
        await RunStepsAsync(plan).ConfigureAwait(false);
        return new RemoteExecution(_writes, _failures, _refusals, _results);
    }

    /// <summary>Runs the steps of <paramref name="plan"/>; true when none failed.</summary>
    private async Task<bool> RunStepsAsync(RemotePlan plan)
    {
        _refusals.AddRange(plan.Refusals);
        var outcomes = new RemoteCallOutcome[plan.Calls.Count];
        var allGood = true;
        for (var i = 0; i < plan.Calls.Count; i++)
        {
            var call = plan.Calls[i];
            var ready = call.After.All(a => outcomes[a] is RemoteCallOutcome.Applied or RemoteCallOutcome.Resolved) &&
                        !((call.InPlace || call is SetBackendWeight { AfterCreate: true }) && call.After.Any(a => outcomes[a] == RemoteCallOutcome.Resolved));
            outcomes[i] = ready ? await RunAsync(call).ConfigureAwait(false) : RemoteCallOutcome.Skipped;
            if (!ready) _results.Add(new RemoteCallResult(call, RemoteCallOutcome.Skipped));
            allGood &= outcomes[i] != RemoteCallOutcome.Failed;
        }
        return allGood;
    }

    private async Task<RemoteCallOutcome> RunAsync(RemoteCall call)
    {
        var (outcome, error) = call switch
        {
            CreateService c => await CreateServiceAsync(c).ConfigureAwait(false),
            UpdateService u => await UpdateServiceAsync(u).ConfigureAwait(false),
            DeleteService d => await DeleteServiceAsync(d).ConfigureAwait(false),
            CreateBackend c => await CreateBackendAsync(c).ConfigureAwait(false),
            DeleteBackend d => await DeleteBackendAsync(d).ConfigureAwait(false),
            SetBackendWeight w => await SetWeightAsync(w).ConfigureAwait(false),
            AdoptBackend a => Adopt(a),
            GiveUp g => (RemoteCallOutcome.Failed, g.What),
            _ => throw new ArgumentOutOfRangeException(nameof(call), call, "unknown step"),
        };
        if (outcome == RemoteCallOutcome.Failed && error is not null) _failures.Add(error);
        _results.Add(new RemoteCallResult(call, outcome, error));
        return outcome;
    }

    private async Task<(RemoteCallOutcome, string?)> CreateServiceAsync(CreateService call)
    {
        var service = call.Service;
        owned.AddService(service.Id);
        save(); // write-ahead
        var result = await WriteAsync(call.What, () => client.PutServiceAsync(service.Id, service.Options, cancellationToken)).ConfigureAwait(false);
        if (result.Ok)
        {
            view.WithService(service.Id, service.Options);
            return (RemoteCallOutcome.Applied, null);
        }
        if (result.Status == HttpStatusCode.Conflict)
        {
            // Exists: made by another agent meanwhile, or by our own earlier attempt whose answer was lost. Kept as owned
            // (it is deleted only once no backends are left in it), verified, and fixed if it differs.
            var info = await client.GetServiceAsync(service.Id, cancellationToken).ConfigureAwait(false);
            if (info is null)
            {
                owned.RemoveService(service.Id);
                return (RemoteCallOutcome.Failed, $"create service {service.Id}: {result}, yet GET finds no such service");
            }
            view.WithService(service.Id, info);
            var next = RemotePlanner.PlanExistingService(service, info, [.. owned.Services], owned.Backends.ToDictionary(StringComparer.Ordinal), call.RetryOnConflict);
            return (await RunStepsAsync(next).ConfigureAwait(false) ? RemoteCallOutcome.Resolved : RemoteCallOutcome.Failed, null);
        }
        owned.RemoveService(service.Id);
        return (RemoteCallOutcome.Failed, $"create service {service.Id}: {result}");
    }

    private async Task<(RemoteCallOutcome, string?)> UpdateServiceAsync(UpdateService call)
    {
        var patched = await WriteAsync(call.What, () => client.PatchServiceAsync(call.ServiceId, call.Patch, cancellationToken)).ConfigureAwait(false);
        if (patched.Ok)
        {
            view.SetServiceOptions(call.ServiceId, call.Options);
            return (RemoteCallOutcome.Applied, null);
        }
        if (patched.Status is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented))
            return (RemoteCallOutcome.Failed, $"update service {call.ServiceId}: {patched}");
        return (await RunStepsAsync(call.Fallback).ConfigureAwait(false) ? RemoteCallOutcome.Resolved : RemoteCallOutcome.Failed, null);
    }

    private async Task<(RemoteCallOutcome, string?)> DeleteServiceAsync(DeleteService call)
    {
        var result = await WriteAsync(call.What, () => client.DeleteServiceAsync(call.ServiceId, cancellationToken)).ConfigureAwait(false);
        if (!result.Ok && result.Status != HttpStatusCode.NotFound) return (RemoteCallOutcome.Failed, $"delete service {call.ServiceId}: {result}");
        owned.RemoveService(call.ServiceId);
        foreach (var rsId in call.ForgetBackends) owned.RemoveBackend(rsId);
        view.RemoveService(call.ServiceId);
        return (RemoteCallOutcome.Applied, null);
    }

    private async Task<(RemoteCallOutcome, string?)> CreateBackendAsync(CreateBackend call)
    {
        var backend = call.Backend;
        owned.SetBackend(backend.Id, new OwnedBackend(call.ServiceId, call.SentWeight));
        save(); // write-ahead
        var result = await WriteAsync(call.What, () => client.PutBackendAsync(call.ServiceId, backend.Id, backend.Options, cancellationToken)).ConfigureAwait(false);
        if (result.Ok)
        {
            view.AddBackend(call.ServiceId, backend.Id, new GorbBackendInfo { Options = RemotePlanner.Copy(backend.Options, call.SentWeight) });
            return (RemoteCallOutcome.Applied, null);
        }
        if (result.Status == HttpStatusCode.Conflict)
        {
            var existing = await client.GetBackendAsync(call.ServiceId, backend.Id, cancellationToken).ConfigureAwait(false);
            if (existing is not null && RemotePlanner.SameEndpoint(existing.Options, backend))
            {
                owned.SetBackend(backend.Id, new OwnedBackend(call.ServiceId, null));
                view.AddBackend(call.ServiceId, backend.Id, existing);
                Log.Applied(logger, Daemon, $"adopt backend {backend.Id}: it already points at {backend.Destination}");
                var weight = RemotePlanner.PlanWeight(call.ServiceId, backend, existing, lastSent: null);
                var ok = weight is null || await RunStepsAsync(new RemotePlan([], [], [weight], [])).ConfigureAwait(false);
                return (ok ? RemoteCallOutcome.Resolved : RemoteCallOutcome.Failed, null);
            }
            owned.RemoveBackend(backend.Id);
            return (RemoteCallOutcome.Failed,
                $"create backend {backend.Id} in service {call.ServiceId}: {result} (the rsID is taken{(existing is null ? "" : $" by {RemotePlanner.Endpoint(existing.Options)}")})");
        }
        owned.RemoveBackend(backend.Id);
        return (RemoteCallOutcome.Failed, $"create backend {backend.Id} → {backend.Destination} in service {call.ServiceId}: {result}");
    }

    private async Task<(RemoteCallOutcome, string?)> DeleteBackendAsync(DeleteBackend call)
    {
        var result = await WriteAsync(call.What, () => client.DeleteBackendAsync(call.ServiceId, call.BackendId, cancellationToken)).ConfigureAwait(false);
        if (!result.Ok && result.Status != HttpStatusCode.NotFound)
            return (RemoteCallOutcome.Failed, $"delete backend {call.BackendId} of service {call.ServiceId}: {result}");
        owned.RemoveBackend(call.BackendId);
        view.RemoveBackend(call.BackendId);
        return (RemoteCallOutcome.Applied, null);
    }

    private async Task<(RemoteCallOutcome, string?)> SetWeightAsync(SetBackendWeight call)
    {
        var backend = call.Backend;
        var options = RemotePlanner.Copy(backend.Options, backend.Weight);
        var result = await WriteAsync(call.What, () => client.PatchBackendWeightAsync(call.ServiceId, backend.Id, options, cancellationToken)).ConfigureAwait(false);
        if (!result.Ok) return (RemoteCallOutcome.Failed, $"set weight of backend {backend.Id} to {backend.Weight}: {result}");
        owned.SetBackend(backend.Id, new OwnedBackend(call.ServiceId, backend.Weight));
        view.SetBackendWeight(backend.Id, backend.Weight);
        return (RemoteCallOutcome.Applied, null);
    }

    private (RemoteCallOutcome, string?) Adopt(AdoptBackend call)
    {
        owned.SetBackend(call.BackendId, new OwnedBackend(call.ServiceId, null));
        Log.Applied(logger, Daemon, call.What);
        return (RemoteCallOutcome.Applied, null);
    }

    private async Task<GorbWriteResult> WriteAsync(string what, Func<Task<GorbWriteResult>> write)
    {
        if (dryRun)
        {
            Log.WouldApply(logger, Daemon, what);
            return new GorbWriteResult(HttpStatusCode.OK, null);
        }
        var result = await write().ConfigureAwait(false);
        if (result.Ok)
        {
            _writes++;
            Log.Applied(logger, Daemon, what);
        }
        return result;
    }
}
