using System.Net;
using GorbLink.Core.Pipeline;
using GorbLink.Core.Reconcile;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

/// <summary>
/// GORB's control semantics: services and backends by ID. A request only changes serve's desired state
/// (<see cref="ServeState"/>, saved to serve-state.json); the kernel pipeline applies it with the agent's reconciler. The
/// request then waits for the pass that includes it: if that pass could not apply it (the kernel refused the write,
/// an entry someone else made is in the way, or the kernel could not be reached at all) the change is taken back and
/// the answer is the error, so a refused request changes nothing and GET never lists what the kernel will not get.
/// Changes are serialised; health-check transitions only change the weight serve desires.
/// </summary>
/// <remarks>
/// Differences from GORB, on purpose: an unknown scheduler, a bad forwarding method, a port out of range, an address
/// that is not unicast or not written strictly, a weight above 65535, or a backend of the other address family is a
/// 400 naming the field (GORB passes some to the kernel and answers 500); an entry that already exists in the kernel
/// is a 409 (GORB: 500); persistent is applied (timeout persistence_timeout, default 300 s); PATCH /service/{vs}
/// changes scheduler, flags and persistence; health-check args may be numbers or strings; a backend addressed under a
/// service it does not belong to is a 404 (GORB ignores the vsID there); a backend that comes back up gets its full
/// weight at once (no weight-1 bug, #47); a service someone deletes from the kernel comes back within a resync.
/// </remarks>
public sealed class GorbApi : IAsyncDisposable
{
    private readonly ServeState _state;
    private readonly ServePipeline _pipeline;
    private readonly HostResolver _resolver;
    private readonly PulseMonitor _pulses;
    private readonly ServeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<IReadOnlySet<IPAddress>, CancellationToken, Task>? _vipSync;
    private readonly SemaphoreSlim _requests = new(1, 1);

    internal GorbApi(ServeState state, ServePipeline pipeline, ServeOptions options, ILogger logger, TimeProvider time,
        Func<IReadOnlySet<IPAddress>, CancellationToken, Task>? vipSync)
    {
        _state = state;
        _pipeline = pipeline;
        _options = options;
        _logger = logger;
        _time = time;
        _vipSync = vipSync;
        _resolver = new HostResolver(options.ResolveTimeout, options.DefaultHost);
        _pulses = new PulseMonitor(options.MaxConcurrentChecks, options.CheckTimeout, OnPulseAsync, logger, time);
    }

    /// <summary>Starts the health checks of adopted backends, the kernel pipeline, and tells --vip-interface the VIPs in use.</summary>
    internal async Task StartAsync(IReadOnlyList<BackendEntry> adopted, CancellationToken cancellationToken)
    {
        if (_options.EnablePulses) foreach (var backend in adopted) _pulses.Start(backend);
        _pipeline.Start();
        await SyncVipsAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---- reads -------------------------------------------------------------------------------------------------

    public Task<IReadOnlyList<string>> ListServicesAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_state.Read<IReadOnlyList<string>>(t => [.. t.Services.Keys.Order(StringComparer.Ordinal)]));

    public Task<GorbServiceInfo> GetServiceAsync(string vsId, CancellationToken cancellationToken) =>
        Task.FromResult(_state.Read(t =>
        {
            var service = FindService(t, vsId);
            return new GorbServiceInfo { Options = service.Options, Health = ServeMetrics.ServiceHealth(t, service), Backends = [.. service.Backends] };
        }));

    public Task<GorbBackendInfo> GetBackendAsync(string vsId, string rsId, CancellationToken cancellationToken) =>
        Task.FromResult(_state.Read(t =>
        {
            var backend = FindBackend(t, vsId, rsId);
            return new GorbBackendInfo
            {
                Options = backend.Options,
                Metrics = new GorbBackendMetrics { Status = backend.Status, Health = backend.Health, Uptime = ServeMetrics.Uptime(backend, _time.GetUtcNow()) },
            };
        }));

    /// <summary>Reads serve's tables under the state lock (the metrics' view).</summary>
    internal T Read<T>(Func<ServeTables, T> read) => _state.Read(read);

    internal DateTimeOffset Now => _time.GetUtcNow();

    // ---- writes ------------------------------------------------------------------------------------------------

    public async Task CreateServiceAsync(string vsId, GorbServiceOptions options, CancellationToken cancellationToken)
    {
        var address = await _resolver.ResolveServiceHostAsync(options.Host, cancellationToken).ConfigureAwait(false);
        var entry = ServeValidation.BuildService(vsId, options, address);
        var key = entry.Service.Key;
        await ChangeAsync(t =>
        {
            if (t.Services.ContainsKey(vsId)) throw GorbApiException.Conflict($"service {vsId} already exists");
            if (t.Services.Values.FirstOrDefault(s => s.Service.Key == key) is { } twin)
                throw GorbApiException.Conflict($"{key} is already service {twin.Id}");
            t.Services.Add(vsId, entry);
            var target = new Target(key, null, $"{key} already exists in the kernel and was not created by this daemon; remove it first (ipvsadm -D ...) or restart with -f");
            return (target, t => t.Services.Remove(vsId));
        }, cancellationToken).ConfigureAwait(false);
        Log.ServiceCreated(_logger, vsId, key.ToString(), entry.Service.Spec.Scheduler);
        await SyncVipsAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async Task PatchServiceAsync(string vsId, GorbServicePatch patch, CancellationToken cancellationToken)
    {
        ServiceEntry? updated = null;
        await ChangeAsync(t =>
        {
            var service = FindService(t, vsId);
            var current = service.Options;
            if (patch.Host is not null && !string.Equals(patch.Host, current.Host, StringComparison.OrdinalIgnoreCase) &&
                !(IPAddress.TryParse(patch.Host, out var host) && host.Equals(service.Service.Key.Address)))
                throw GorbApiException.BadRequest($"host: cannot be changed from \"{current.Host}\" (delete and re-create the service)");
            if (patch.Port is { } port && port != current.Port)
                throw GorbApiException.BadRequest($"port: cannot be changed from {current.Port} (delete and re-create the service)");
            if (patch.Protocol is { Length: > 0 } protocol && !string.Equals(protocol, current.Protocol, StringComparison.OrdinalIgnoreCase))
                throw GorbApiException.BadRequest($"protocol: cannot be changed from {current.Protocol} (delete and re-create the service)");
            var merged = new GorbServiceOptions
            {
                Host = current.Host,
                Port = current.Port,
                Protocol = current.Protocol,
                Method = patch.Method ?? current.Method,
                Flags = patch.Flags ?? current.Flags,
                Persistent = patch.Persistent ?? (patch.PersistenceTimeout is > 0 || current.Persistent),
                PersistenceTimeout = patch.PersistenceTimeout ?? (patch.Persistent == false ? null : current.PersistenceTimeout),
            };
            updated = ServeValidation.BuildService(vsId, merged, service.Service.Key.Address!);
            var (oldService, oldOptions) = (service.Service, service.Options);
            service.Service = updated.Service;
            service.Options = updated.Options;
            return (new Target(service.Service.Key, null, null), _ => (service.Service, service.Options) = (oldService, oldOptions));
        }, cancellationToken).ConfigureAwait(false);
        Log.ServiceUpdated(_logger, vsId, updated!.Service.Spec.Scheduler, updated.Options.Flags ?? "", updated.Service.Spec.PersistenceTimeout);
    }

    public async Task DeleteServiceAsync(string vsId, CancellationToken cancellationToken)
    {
        List<BackendEntry> removed = [];
        VirtualServiceKey key = default;
        await ChangeAsync(t =>
        {
            var service = FindService(t, vsId);
            key = service.Service.Key;
            removed = [.. t.BackendsOf(service)];
            foreach (var backend in removed) t.Backends.Remove(backend.Id);
            t.Services.Remove(vsId);
            return (new Target(key, null, null), t =>
            {
                t.Services.Add(vsId, service);
                foreach (var backend in removed) t.Backends.Add(backend.Id, backend);
            });
        }, cancellationToken).ConfigureAwait(false);
        foreach (var backend in removed) StopPulse(backend);
        Log.ServiceDeleted(_logger, vsId, key.ToString());
        await SyncVipsAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async Task CreateBackendAsync(string vsId, string rsId, GorbBackendOptions options, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.Host)) throw GorbApiException.BadRequest("host: endpoint information is missing (a backend needs a host)");
        var address = await _resolver.ResolveAsync(options.Host, "host", cancellationToken).ConfigureAwait(false);
        // Validation first, then existence, as GORB does; backends are keyed by rsID alone.
        _ = ServeValidation.BuildBackend(rsId, null, options, address);
        BackendEntry? entry = null;
        await ChangeAsync(t =>
        {
            if (t.Backends.TryGetValue(rsId, out var existing))
                throw GorbApiException.Conflict($"backend {rsId} already exists (in service {existing.ServiceId})");
            if (!t.Services.TryGetValue(vsId, out var service)) throw GorbApiException.NotFound($"service {vsId} not found");
            entry = ServeValidation.BuildBackend(rsId, service, options, address);
            if (t.BackendsOf(service).FirstOrDefault(b => b.Destination.Key == entry.Destination.Key) is { } twin)
                throw GorbApiException.Conflict($"{entry.Destination.Key} is already backend {twin.Id} of service {vsId}");
            entry.UpSince = _time.GetUtcNow();
            t.Backends.Add(rsId, entry);
            service.Backends.Add(rsId);
            var key = service.Service.Key;
            var target = new Target(key, entry.Destination.Key,
                $"destination {entry.Destination.Key} of {key} already exists in the kernel and was not created by this daemon");
            return (target, t =>
            {
                t.Backends.Remove(rsId);
                service.Backends.Remove(rsId);
            });
        }, cancellationToken).ConfigureAwait(false);
        if (_options.EnablePulses) _pulses.Start(entry!);
        Log.BackendCreated(_logger, rsId, entry!.Destination.Key.ToString(), vsId, entry.Weight);
    }

    /// <summary>GORB applies only the weight; 0 is allowed (drain) and kept across restarts. While the health check says down the kernel keeps 0.</summary>
    public async Task PatchBackendAsync(string vsId, string rsId, GorbBackendOptions options, CancellationToken cancellationToken)
    {
        var weight = ServeValidation.PatchedWeight(options.Weight);
        var down = false;
        await ChangeAsync(t =>
        {
            var backend = FindBackend(t, vsId, rsId);
            var (oldDestination, oldWeight) = (backend.Destination, backend.Options.Weight);
            backend.Destination = backend.Destination with { Spec = backend.Destination.Spec with { Weight = weight } };
            backend.Options.Weight = weight;
            down = backend.Status == GorbStatus.Down;
            var target = new Target(t.Services[backend.ServiceId].Service.Key, backend.Destination.Key, null);
            return (target, _ => (backend.Destination, backend.Options.Weight) = (oldDestination, oldWeight));
        }, cancellationToken).ConfigureAwait(false);
        Log.BackendWeight(_logger, rsId, weight, down ? " (held at 0 while its health check fails)" : "");
    }

    public async Task DeleteBackendAsync(string vsId, string rsId, CancellationToken cancellationToken)
    {
        BackendEntry? removed = null;
        await ChangeAsync(t =>
        {
            var backend = removed = FindBackend(t, vsId, rsId);
            var service = t.Services[backend.ServiceId];
            t.Backends.Remove(rsId);
            service.Backends.Remove(rsId);
            return (new Target(service.Service.Key, backend.Destination.Key, null), t =>
            {
                t.Backends.Add(rsId, backend);
                service.Backends.Add(rsId);
            });
        }, cancellationToken).ConfigureAwait(false);
        StopPulse(removed!);
        Log.BackendDeleted(_logger, rsId, removed!.Destination.Key.ToString(), vsId);
    }

    // ---- applying a change ---------------------------------------------------------------------------------------

    /// <summary>The kernel entry a request is about, and what to answer when someone else's entry is in its way (null: not a create).</summary>
    private readonly record struct Target(VirtualServiceKey Service, DestinationKey? Destination, string? ForeignMessage);

    /// <summary>
    /// Changes the desired state (<paramref name="change"/> checks, writes, and returns what it is about and how to take the write back),
    /// waits for the kernel pass that includes it, and takes it back when that pass did not apply it.
    /// </summary>
    private async Task ChangeAsync(Func<ServeTables, (Target Target, Action<ServeTables> Undo)> change, CancellationToken cancellationToken)
    {
        await _requests.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            (Target Target, Action<ServeTables> Undo) made = default;
            var revision = _state.Change(t => made = change(t), awaitVerdict: true);
            try
            {
                // From here on the client going away must not cut the change in half: no cancellation.
                SinkPass pass;
                try
                {
                    pass = await _pipeline.WaitForPassAsync(revision).ConfigureAwait(false);
                }
                catch (OperationCanceledException e)
                {
                    pass = SinkPass.Failed(revision, e);
                }
                if (Problem(pass, made.Target) is not { } problem) return;
                _state.Change(made.Undo!);
                throw problem;
            }
            finally
            {
                _state.Decided();
            }
        }
        finally
        {
            _requests.Release();
        }
    }

    /// <summary>Why the pass did not apply the request's change, as the answer; null when it did.</summary>
    private static GorbApiException? Problem(SinkPass pass, Target target)
    {
        if (pass.Failure is { } failure) return new GorbApiException(500, $"error while calling into IPVS: {failure.Message}; nothing was changed");
        var result = ((KernelPassOutcome)pass.Outcome!).Result;
        foreach (var refusal in result.Refusals)
        {
            if (refusal.Service != target.Service) continue;
            if (refusal.Destination is null || refusal.Destination == target.Destination)
                return GorbApiException.Conflict(target.ForeignMessage ?? refusal.Message);
        }
        // The refused operation itself, as the batch reported it: the request's entry exactly (a service request is
        // not answered by a refused write to one of its destinations).
        foreach (var refused in result.Failures)
        {
            if (Touches(refused.Operation) == (target.Service, target.Destination))
                return new GorbApiException(500, $"error while calling into IPVS: {refused.Message}");
        }
        return null;
    }

    private static (VirtualServiceKey Service, DestinationKey? Destination) Touches(IpvsOperation operation) => operation switch
    {
        IpvsOperation.CreateService o => (o.Service.Key, null),
        IpvsOperation.UpdateService o => (o.Service.Key, null),
        IpvsOperation.DeleteService o => (o.Service, null),
        IpvsOperation.CreateDestination o => (o.Service, o.Destination.Key),
        IpvsOperation.UpdateDestination o => (o.Service, o.Destination.Key),
        IpvsOperation.DeleteDestination o => (o.Service, o.Destination),
        _ => (default, null),
    };

    // ---- health checks -----------------------------------------------------------------------------------------

    /// <summary>A check result: only a transition changes the desired weight (0 while down, the client's weight when up).</summary>
    private Task OnPulseAsync(BackendEntry backend, bool up, string detail)
    {
        var transition = _state.Read(t =>
        {
            if (!t.Backends.TryGetValue(backend.Id, out var current) || !ReferenceEquals(current, backend)) return false;
            backend.Record(up);
            return (backend.Status == GorbStatus.Up) != up;
        });
        if (!transition) return Task.CompletedTask;
        _state.Change(_ =>
        {
            backend.Status = up ? GorbStatus.Up : GorbStatus.Down;
            if (up) backend.UpSince = _time.GetUtcNow();
        }, save: false);
        if (up) Log.BackendUp(_logger, backend.Id, backend.Destination.Key.ToString(), backend.KernelWeight);
        else Log.BackendDown(_logger, backend.Id, backend.Destination.Key.ToString(), detail);
        return Task.CompletedTask;
    }

    private void StopPulse(BackendEntry backend)
    {
        backend.Status = GorbStatus.Removed;
        _pulses.Stop(backend);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static ServiceEntry FindService(ServeTables tables, string vsId) =>
        tables.Services.TryGetValue(vsId, out var service) ? service : throw GorbApiException.NotFound($"service {vsId} not found");

    private static BackendEntry FindBackend(ServeTables tables, string vsId, string rsId)
    {
        if (!tables.Backends.TryGetValue(rsId, out var backend)) throw GorbApiException.NotFound($"backend {rsId} not found");
        if (backend.ServiceId != vsId) throw GorbApiException.NotFound($"backend {rsId} not found in service {vsId} (it belongs to service {backend.ServiceId})");
        return backend;
    }

    private async Task SyncVipsAsync(CancellationToken cancellationToken)
    {
        if (_vipSync is null) return;
        var inUse = _state.Read(t => t.Services.Values.Select(s => s.Service.Key.Address!).ToHashSet());
        try
        {
            await _vipSync(inUse, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.VipSyncFailed(_logger, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _pulses.DisposeAsync().ConfigureAwait(false);
        await _pipeline.DisposeAsync().ConfigureAwait(false);
        _requests.Dispose();
    }
}
