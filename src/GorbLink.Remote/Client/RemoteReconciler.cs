using System.Net;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;
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
/// GET /service/{vs}/{rs} for the backends this agent wants or owns), then create, fix, re-weight and delete until it
/// matches the desired state, within what this agent owns (<see cref="RemoteOwnership"/>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Services: created when missing (if at least one backend is not draining). A 409 on create means "exists": it is
/// read back and compared. A service that differs is fixed (PATCH /service/{vs}; where the daemon has no such route, DELETE
/// and PUT) unless other clients' backends are in it: then it is used as it is and the difference reported, since several
/// Docker hosts feed one service and must not fight over its settings. An owned service nobody wants is deleted once it
/// has no backends left.</item>
/// <item>Backends: created when missing (draining ones are not); a backend whose host, port or method differ is deleted
/// and re-created; one in another service (GORB keys backends by rsID alone) is moved. The weight is PATCHed when the
/// desired weight changed since it was last sent, or when the daemon reports the backend up and fully healthy with
/// another weight (so a daemon's health check that set weight 0 is not fought). An rsID someone else holds for another
/// endpoint is left alone and reported; one that points at the same endpoint is adopted. Owned backends no longer wanted
/// are deleted.</item>
/// <item>Entries the ownership file lists that the daemon no longer has (it restarted) are forgotten and re-created
/// if still wanted. Before a create the ownership file lists the entry (write-ahead).</item>
/// <item>Any transport failure (<see cref="RemoteUnavailableException"/>) ends the pass; the next one starts from a fresh
/// read. A write the daemon refuses is logged once and retried by the next pass.</item>
/// </list>
/// Not thread-safe: one daemon loop runs its passes one at a time.
/// </remarks>
public sealed class RemoteReconciler
{
    private readonly GorbClient _client;
    private readonly RemoteOwnership _owned;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _dryRun;
    private HashSet<string> _reportedFailures = new(StringComparer.Ordinal);
    private HashSet<string> _reportedRefusals = new(StringComparer.Ordinal);

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

    /// <exception cref="RemoteUnavailableException">The daemon could not be read or written at all.</exception>
    /// <exception cref="RemoteOwnershipException">The ownership file is damaged or cannot be written.</exception>
    public async Task<RemotePassResult> ReconcileAsync(RemoteDesiredState desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var started = _time.GetTimestamp();
        _owned.Load();
        var view = await ReadAsync(desired, cancellationToken).ConfigureAwait(false);
        var pass = new Pass(this, view, cancellationToken);
        ForgetStale(view);

        var wanted = new Dictionary<string, string>(StringComparer.Ordinal); // rsID → vsID
        foreach (var service in desired.Services)
        {
            foreach (var backend in service.Backends) wanted[backend.Id] = service.Id;
        }

        foreach (var service in desired.Services)
        {
            if (!await pass.EnsureServiceAsync(service).ConfigureAwait(false)) continue;
            foreach (var backend in service.Backends) await pass.EnsureBackendAsync(service, backend).ConfigureAwait(false);
        }
        await pass.DeleteUnwantedBackendsAsync(wanted).ConfigureAwait(false);
        await pass.DeleteUnwantedServicesAsync(desired).ConfigureAwait(false);
        Save();

        var (services, backends) = Count(desired, view);
        var duration = _time.GetElapsedTime(started);
        if (pass.Writes == 0 && pass.Failures.Count == 0) Log.PassUnchanged(_logger, Daemon, desired.Revision, duration.TotalMilliseconds);
        else Log.PassApplied(_logger, Daemon, desired.Revision, duration.TotalMilliseconds, pass.Writes, pass.Failures.Count, services, backends);
        ReportOnce(pass.Failures, ref _reportedFailures, m => Log.WriteRefused(_logger, Daemon, m), m => Log.WriteRefusedAgain(_logger, Daemon, m));
        ReportOnce(pass.Refusals, ref _reportedRefusals, m => Log.LeftAlone(_logger, Daemon, m), null);
        return new RemotePassResult
        {
            Revision = desired.Revision,
            Writes = pass.Writes,
            Failures = pass.Failures,
            Refusals = pass.Refusals,
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

    private static void ReportOnce(List<string> messages, ref HashSet<string> reported, Action<string> first, Action<string>? again)
    {
        var now = new HashSet<string>(messages, StringComparer.Ordinal);
        foreach (var message in now)
        {
            if (!reported.Contains(message)) first(message);
            else again?.Invoke(message);
        }
        reported = now;
    }

    private void Save()
    {
        if (!_dryRun) _owned.Save();
    }

    /// <summary>The daemon as it is: every service with its rsIDs, and the details of the backends this agent cares about.</summary>
    private sealed class DaemonView
    {
        public Dictionary<string, GorbServiceInfo> Services { get; } = new(StringComparer.Ordinal);
        /// <summary>rsID → the vsID whose backend list names it.</summary>
        public Dictionary<string, string> Home { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, GorbBackendInfo> Backends { get; } = new(StringComparer.Ordinal);

        public void AddBackend(string vsId, string rsId, GorbBackendInfo? info)
        {
            Home[rsId] = vsId;
            if (info is not null) Backends[rsId] = info;
            if (Services.TryGetValue(vsId, out var service))
            {
                service.Backends ??= [];
                if (!service.Backends.Contains(rsId)) service.Backends.Add(rsId);
            }
        }

        public void RemoveBackend(string rsId)
        {
            if (Home.Remove(rsId, out var vsId) && Services.TryGetValue(vsId, out var service)) service.Backends?.Remove(rsId);
            Backends.Remove(rsId);
        }

        public void RemoveService(string vsId)
        {
            if (!Services.Remove(vsId, out var service)) return;
            foreach (var rsId in service.Backends ?? []) { Home.Remove(rsId); Backends.Remove(rsId); }
        }
    }

    private async Task<DaemonView> ReadAsync(RemoteDesiredState desired, CancellationToken cancellationToken)
    {
        var view = new DaemonView();
        foreach (var vsId in await _client.ListServicesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (view.Services.ContainsKey(vsId)) continue;
            var info = await _client.GetServiceAsync(vsId, cancellationToken).ConfigureAwait(false);
            if (info is null) continue; // deleted between the list and now
            info.Backends ??= [];
            view.Services[vsId] = info;
            foreach (var rsId in info.Backends) view.Home.TryAdd(rsId, vsId);
        }
        var interest = new HashSet<string>(_owned.Backends.Keys, StringComparer.Ordinal);
        foreach (var service in desired.Services)
        {
            foreach (var backend in service.Backends) interest.Add(backend.Id);
        }
        foreach (var rsId in interest.Order(StringComparer.Ordinal))
        {
            if (!view.Home.TryGetValue(rsId, out var vsId)) continue;
            var info = await _client.GetBackendAsync(vsId, rsId, cancellationToken).ConfigureAwait(false);
            if (info is null) view.RemoveBackend(rsId);
            else view.Backends[rsId] = info;
        }
        return view;
    }

    private void ForgetStale(DaemonView view)
    {
        foreach (var vsId in _owned.Services.Where(s => !view.Services.ContainsKey(s)).ToList())
        {
            _owned.RemoveService(vsId);
            Log.Forgot(_logger, Daemon, $"service {vsId}");
        }
        foreach (var rsId in _owned.Backends.Keys.Where(b => !view.Home.ContainsKey(b)).ToList())
        {
            _owned.RemoveBackend(rsId);
            Log.Forgot(_logger, Daemon, $"backend {rsId}");
        }
    }

    /// <summary>The state of one pass: the view as it changes with every accepted write.</summary>
    private sealed class Pass(RemoteReconciler owner, DaemonView view, CancellationToken cancellationToken)
    {
        private readonly RemoteOwnership _owned = owner._owned;
        private readonly GorbClient _client = owner._client;

        public int Writes { get; private set; }
        public List<string> Failures { get; } = [];
        public List<string> Refusals { get; } = [];

        /// <summary>Makes the service exist as desired (or usable, when someone else owns it); false when it does not exist.</summary>
        public async Task<bool> EnsureServiceAsync(RemoteService service)
        {
            if (!view.Services.TryGetValue(service.Id, out var info))
            {
                if (service.Backends.All(b => b.Draining)) return false; // nothing it would serve
                return await CreateServiceAsync(service).ConfigureAwait(false);
            }
            return await VerifyServiceAsync(service, info, retryCreate: true).ConfigureAwait(false);
        }

        /// <summary>
        /// Compares a service the daemon has with the wanted one and fixes it, unless other clients' backends are in it: then
        /// its settings are theirs too (several Docker hosts feed one service), so it is used as it is and the difference
        /// reported rather than fought over.
        /// </summary>
        private async Task<bool> VerifyServiceAsync(RemoteService service, GorbServiceInfo info, bool retryCreate)
        {
            var difference = ServiceDifference(info.Options, service);
            if (difference is null) return true;
            var others = (info.Backends ?? []).Where(rs => !_owned.OwnsBackend(rs)).ToList();
            if (!_owned.OwnsService(service.Id) && others.Count > 0)
            {
                Refusals.Add($"service {service.Id} differs from what this agent wants ({difference}), but another client created it " +
                    $"and has backends in it ({string.Join(", ", others)}); used as it is");
                return true;
            }
            return await FixServiceAsync(service, info, difference, retryCreate).ConfigureAwait(false);
        }

        private async Task<bool> CreateServiceAsync(RemoteService service, bool retryCreate = true)
        {
            _owned.AddService(service.Id);
            owner.Save(); // write-ahead
            var result = await WriteAsync($"create service {service.Id} ({Describe(service.Options)})",
                () => _client.PutServiceAsync(service.Id, service.Options, cancellationToken)).ConfigureAwait(false);
            if (result.Ok)
            {
                view.Services[service.Id] = new GorbServiceInfo { Options = service.Options, Health = 1, Backends = [] };
                return true;
            }
            if (result.Status == HttpStatusCode.Conflict)
            {
                // Exists: made by another agent meanwhile, or by our own earlier attempt whose answer was lost.
                var info = await _client.GetServiceAsync(service.Id, cancellationToken).ConfigureAwait(false);
                if (info is null)
                {
                    _owned.RemoveService(service.Id);
                    Failures.Add($"create service {service.Id}: {result}, yet GET finds no such service");
                    return false;
                }
                info.Backends ??= [];
                view.Services[service.Id] = info;
                foreach (var rsId in info.Backends) view.Home.TryAdd(rsId, service.Id);
                // Made by an earlier attempt of this agent whose answer was lost, or by another agent just now: kept as owned
                // (it is deleted only once no backends are left in it), verified, and fixed if it differs.
                return await VerifyServiceAsync(service, info, retryCreate).ConfigureAwait(false);
            }
            _owned.RemoveService(service.Id);
            Failures.Add($"create service {service.Id}: {result}");
            return false;
        }

        private async Task<bool> FixServiceAsync(RemoteService service, GorbServiceInfo info, string difference, bool retryCreate)
        {
            var current = info.Options!;
            if (SameEndpoint(current, service))
            {
                var patch = new GorbServicePatch
                {
                    Method = service.Options.Method,
                    Flags = service.Options.Flags,
                    Persistent = service.Options.Persistent,
                    PersistenceTimeout = service.Options.PersistenceTimeout,
                };
                var patched = await WriteAsync($"update service {service.Id} ({difference})",
                    () => _client.PatchServiceAsync(service.Id, patch, cancellationToken)).ConfigureAwait(false);
                if (patched.Ok)
                {
                    info.Options = service.Options;
                    return true;
                }
                if (patched.Status is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented))
                {
                    Failures.Add($"update service {service.Id}: {patched}");
                    return true;
                }
                // Upstream GORB has no PATCH /service/{vs}: re-create it below.
            }
            var others = (info.Backends ?? []).Where(rs => !_owned.OwnsBackend(rs)).ToList();
            if (others.Count > 0)
            {
                Refusals.Add($"service {service.Id} differs from what this agent wants ({difference}) and cannot be changed in place; " +
                    $"it holds backends of other clients ({string.Join(", ", others)}), so it is left as it is");
                return true;
            }
            var deleted = await WriteAsync($"delete service {service.Id} to re-create it ({difference})",
                () => _client.DeleteServiceAsync(service.Id, cancellationToken)).ConfigureAwait(false);
            if (!deleted.Ok && deleted.Status != HttpStatusCode.NotFound)
            {
                Failures.Add($"delete service {service.Id}: {deleted}");
                return true;
            }
            foreach (var rsId in info.Backends ?? []) _owned.RemoveBackend(rsId);
            view.RemoveService(service.Id);
            if (!retryCreate)
            {
                Failures.Add($"create service {service.Id}: it was re-created by someone else at once; left to the next pass");
                return false;
            }
            return await CreateServiceAsync(service, retryCreate: false).ConfigureAwait(false);
        }

        public async Task EnsureBackendAsync(RemoteService service, RemoteBackend backend)
        {
            if (view.Home.TryGetValue(backend.Id, out var home) && home != service.Id)
            {
                view.Backends.TryGetValue(backend.Id, out var elsewhere);
                if (!_owned.OwnsBackend(backend.Id) && !SameEndpoint(elsewhere?.Options, backend))
                {
                    Refusals.Add($"backend {backend.Id} (container {backend.Container}) is taken: the daemon has it in service {home}, " +
                        $"pointing at {Endpoint(elsewhere?.Options)}; left alone");
                    return;
                }
                if (!await DeleteBackendAsync(home, backend.Id, $"move backend {backend.Id} from service {home} to {service.Id}").ConfigureAwait(false)) return;
            }
            else if (home == service.Id && view.Backends.TryGetValue(backend.Id, out var info))
            {
                var owned = _owned.OwnsBackend(backend.Id);
                var sameEndpoint = SameEndpoint(info.Options, backend);
                if (sameEndpoint && SameForward(info.Options, backend))
                {
                    if (!owned)
                    {
                        _owned.SetBackend(backend.Id, new OwnedBackend(service.Id, null));
                        Applied($"adopt backend {backend.Id}: it already points at {backend.Destination}");
                    }
                    await EnsureWeightAsync(service, backend, info).ConfigureAwait(false);
                    return;
                }
                if (!owned && !sameEndpoint)
                {
                    Refusals.Add($"backend {backend.Id} of service {service.Id} points at {Endpoint(info.Options)}, not {backend.Destination} " +
                        $"(container {backend.Container}), and another client created it; left alone");
                    return;
                }
                if (!await DeleteBackendAsync(service.Id, backend.Id,
                        $"delete backend {backend.Id} to re-create it ({Endpoint(info.Options)} {info.Options?.Method} → {backend.Destination} {backend.Options.Method})").ConfigureAwait(false))
                    return;
            }
            if (backend.Draining) return; // at weight 0 it would serve nothing
            await CreateBackendAsync(service, backend).ConfigureAwait(false);
        }

        private async Task CreateBackendAsync(RemoteService service, RemoteBackend backend)
        {
            var sent = backend.Options.Weight <= 0 ? GorbWords.DefaultWeight : (int)backend.Options.Weight;
            _owned.SetBackend(backend.Id, new OwnedBackend(service.Id, sent));
            owner.Save(); // write-ahead
            var result = await WriteAsync($"create backend {backend.Id} → {backend.Destination} weight {backend.Weight} {backend.Options.Method} in service {service.Id} for container {backend.Container}",
                () => _client.PutBackendAsync(service.Id, backend.Id, backend.Options, cancellationToken)).ConfigureAwait(false);
            if (result.Ok)
            {
                var info = new GorbBackendInfo { Options = Copy(backend.Options, sent), Metrics = null };
                view.AddBackend(service.Id, backend.Id, info);
                // GORB turns weight 0 into its default on create; PATCH applies 0 as it is.
                if (backend.Weight != sent) await EnsureWeightAsync(service, backend, info).ConfigureAwait(false);
                return;
            }
            if (result.Status == HttpStatusCode.Conflict)
            {
                var existing = await _client.GetBackendAsync(service.Id, backend.Id, cancellationToken).ConfigureAwait(false);
                if (existing is not null && SameEndpoint(existing.Options, backend))
                {
                    _owned.SetBackend(backend.Id, new OwnedBackend(service.Id, null));
                    view.AddBackend(service.Id, backend.Id, existing);
                    Applied($"adopt backend {backend.Id}: it already points at {backend.Destination}");
                    await EnsureWeightAsync(service, backend, existing).ConfigureAwait(false);
                    return;
                }
                _owned.RemoveBackend(backend.Id);
                Failures.Add($"create backend {backend.Id} in service {service.Id}: {result} (the rsID is taken{(existing is null ? "" : $" by {Endpoint(existing.Options)}")})");
                return;
            }
            _owned.RemoveBackend(backend.Id);
            Failures.Add($"create backend {backend.Id} → {backend.Destination} in service {service.Id}: {result}");
        }

        private async Task EnsureWeightAsync(RemoteService service, RemoteBackend backend, GorbBackendInfo info)
        {
            var current = info.Options?.Weight ?? 0;
            if (current == backend.Weight) return;
            var last = _owned.Backends.TryGetValue(backend.Id, out var record) ? record.Weight : null;
            var steady = info.Metrics is null || (info.Metrics.Status == GorbStatus.Up && info.Metrics.Health >= 1.0);
            if (last == backend.Weight && !steady) return; // the daemon's health check holds it at another weight
            var options = Copy(backend.Options, backend.Weight);
            var result = await WriteAsync($"set weight of backend {backend.Id} to {backend.Weight} (was {current}){(backend.Draining ? $", container {backend.Container} is draining" : "")}",
                () => _client.PatchBackendWeightAsync(service.Id, backend.Id, options, cancellationToken)).ConfigureAwait(false);
            if (result.Ok)
            {
                _owned.SetBackend(backend.Id, new OwnedBackend(service.Id, backend.Weight));
                if (info.Options is not null) info.Options.Weight = backend.Weight;
                return;
            }
            Failures.Add($"set weight of backend {backend.Id} to {backend.Weight}: {result}");
        }

        public async Task DeleteUnwantedBackendsAsync(Dictionary<string, string> wanted)
        {
            foreach (var (rsId, record) in _owned.Backends.OrderBy(b => b.Key, StringComparer.Ordinal).ToList())
            {
                var home = view.Home.GetValueOrDefault(rsId) ?? record.Service;
                if (wanted.TryGetValue(rsId, out var vsId) && vsId == home) continue;
                await DeleteBackendAsync(home, rsId, $"delete backend {rsId} of service {home}: its container is gone").ConfigureAwait(false);
            }
        }

        public async Task DeleteUnwantedServicesAsync(RemoteDesiredState desired)
        {
            var wanted = new HashSet<string>(desired.Services.Select(s => s.Id), StringComparer.Ordinal);
            foreach (var vsId in _owned.Services.Order(StringComparer.Ordinal).ToList())
            {
                if (wanted.Contains(vsId) || !view.Services.TryGetValue(vsId, out var info)) continue;
                var remaining = info.Backends ?? [];
                if (remaining.Count > 0)
                {
                    Refusals.Add($"service {vsId}, created by this agent and no longer wanted, still holds backends of other clients ({string.Join(", ", remaining)}); kept");
                    continue;
                }
                var result = await WriteAsync($"delete service {vsId}: no backends left",
                    () => _client.DeleteServiceAsync(vsId, cancellationToken)).ConfigureAwait(false);
                if (result.Ok || result.Status == HttpStatusCode.NotFound)
                {
                    _owned.RemoveService(vsId);
                    view.RemoveService(vsId);
                }
                else Failures.Add($"delete service {vsId}: {result}");
            }
        }

        private async Task<bool> DeleteBackendAsync(string vsId, string rsId, string what)
        {
            var result = await WriteAsync(what, () => _client.DeleteBackendAsync(vsId, rsId, cancellationToken)).ConfigureAwait(false);
            if (result.Ok || result.Status == HttpStatusCode.NotFound)
            {
                _owned.RemoveBackend(rsId);
                view.RemoveBackend(rsId);
                return true;
            }
            Failures.Add($"delete backend {rsId} of service {vsId}: {result}");
            return false;
        }

        private async Task<GorbWriteResult> WriteAsync(string what, Func<Task<GorbWriteResult>> write)
        {
            if (owner._dryRun)
            {
                Log.WouldApply(owner._logger, owner.Daemon, what);
                return new GorbWriteResult(HttpStatusCode.OK, null);
            }
            var result = await write().ConfigureAwait(false);
            if (result.Ok)
            {
                Writes++;
                Applied(what);
            }
            return result;
        }

        private void Applied(string what) => Log.Applied(owner._logger, owner.Daemon, what);
    }

    private static GorbBackendOptions Copy(GorbBackendOptions options, int weight) => new()
    {
        Host = options.Host,
        Port = options.Port,
        Weight = weight,
        Method = options.Method,
        Pulse = options.Pulse,
    };

    private static string Describe(GorbServiceOptions o) =>
        $"{o.Protocol} {(string.IsNullOrEmpty(o.Host) ? "<daemon default address>" : o.Host)}:{o.Port} {o.Method}" +
        (string.IsNullOrEmpty(o.Flags) ? "" : $" {o.Flags}") + (o.Persistent ? $" persistent {o.PersistenceTimeout}s" : "");

    private static string Endpoint(GorbBackendOptions? o) => o is null ? "an unknown address" :
        IPAddress.TryParse(o.Host, out var ip) ? IpvsNames.Endpoint(ip, (ushort)Math.Clamp(o.Port, 0, ushort.MaxValue)) : $"{o.Host}:{o.Port}";

    private static bool SameEndpoint(GorbServiceOptions current, RemoteService service)
    {
        var want = service.Options;
        return SameHost(current.Host, want.Host) && current.Port == want.Port &&
               string.Equals(Or(current.Protocol, "tcp"), want.Protocol, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>What differs between the daemon's service and the desired one, in words; null when nothing does.</summary>
    internal static string? ServiceDifference(GorbServiceOptions? current, RemoteService service)
    {
        if (current is null) return "the daemon reports no options";
        var want = service.Options;
        var differences = new List<string>(4);
        if (!SameEndpoint(current, service))
            differences.Add($"endpoint {Or(current.Protocol, "tcp")} {current.Host}:{current.Port}, wanted {want.Protocol} {want.Host}:{want.Port}");
        if (!string.Equals(Or(current.Method, GorbWords.DefaultScheduler), want.Method, StringComparison.OrdinalIgnoreCase))
            differences.Add($"scheduler {Or(current.Method, GorbWords.DefaultScheduler)}, wanted {want.Method}");
        if (!GorbWords.TryParseFlags(current.Flags, out var flags, out _) || flags != service.Flags)
            differences.Add($"flags \"{current.Flags}\", wanted \"{want.Flags}\"");
        if (current.Persistent != want.Persistent ||
            (want.Persistent && current.PersistenceTimeout is { } timeout && timeout != want.PersistenceTimeout))
            differences.Add($"persistent {(current.Persistent ? $"true{(current.PersistenceTimeout is { } t ? $" ({t}s)" : "")}" : "false")}, wanted {(want.Persistent ? $"true ({want.PersistenceTimeout}s)" : "false")}");
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    private static bool SameEndpoint(GorbBackendOptions? current, RemoteBackend backend) =>
        current is not null && SameHost(current.Host, backend.Options.Host) && current.Port == backend.Options.Port;

    private static bool SameForward(GorbBackendOptions? current, RemoteBackend backend) =>
        current is not null && GorbWords.TryParseForward(current.Method, out var method) &&
        GorbWords.TryParseForward(backend.Options.Method, out var wanted) && method == wanted;

    private static bool SameHost(string? a, string? b)
    {
        if (string.IsNullOrEmpty(a) || string.IsNullOrEmpty(b)) return string.IsNullOrEmpty(a) && string.IsNullOrEmpty(b);
        if (IPAddress.TryParse(a, out var x) && IPAddress.TryParse(b, out var y)) return x.Equals(y);
        return string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }

    private static string Or(string? value, string fallback) => string.IsNullOrEmpty(value) ? fallback : value;
}
