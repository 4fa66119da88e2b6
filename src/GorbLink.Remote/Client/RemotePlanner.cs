using System.Net;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Client;

/// <summary>
/// Decides, without any I/O, what one pass against one GORB daemon does: from the desired state in GORB's terms, the
/// daemon's view (<see cref="DaemonView"/>) and what this agent owns there, an ordered list of calls
/// (<see cref="RemotePlan"/>). It simulates that each call succeeds; <see cref="RemotePlanExecutor"/> runs them and
/// skips those whose prerequisite failed.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Services: created when missing (if at least one backend is not draining). One that differs is fixed (PATCH, with
/// DELETE and PUT as the fallback where the daemon has no such route) unless other clients' backends are in it: then it is
/// used as it is and the difference reported, since several Docker hosts feed one service and must not fight over its
/// settings. An owned service nobody wants is deleted once it has no backends left.</item>
/// <item>Backends: created when missing (draining ones are not); one whose host, port or method differ is deleted and
/// re-created; one in another service (GORB keys backends by rsID alone) is moved. The weight is PATCHed when the desired
/// weight changed since it was last sent, or when the daemon reports the backend up and fully healthy with another weight
/// (so a daemon's health check that set weight 0 is not fought). An rsID someone else holds for another endpoint is left
/// alone and reported; one that points at the same endpoint is adopted. Owned backends no longer wanted are deleted.</item>
/// <item>Owned entries the daemon no longer has (it restarted) are forgotten and re-created if still wanted.</item>
/// <item>An owned entry that holds the address a desired one needs under another ID (a renamed service, a container
/// replaced on a reused host port) is deleted first, since the daemon refuses a second entry at one address.</item>
/// <item>A desired rsID that already points at its desired endpoint is this agent's, owned or not: it does not keep its
/// service from being fixed. Where PATCH falls back to DELETE and PUT, the service's backends are created again with it.</item>
/// </list>
/// </remarks>
public static class RemotePlanner
{
    public static RemotePlan Plan(
        RemoteDesiredState desired,
        DaemonView observed,
        IReadOnlyCollection<string> ownedServices,
        IReadOnlyDictionary<string, OwnedBackend> ownedBackends)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(observed);
        ArgumentNullException.ThrowIfNull(ownedServices);
        ArgumentNullException.ThrowIfNull(ownedBackends);
        var forgetServices = ownedServices.Where(s => !observed.Services.ContainsKey(s)).Order(StringComparer.Ordinal).ToList();
        var forgetBackends = ownedBackends.Keys.Where(b => !observed.Home.ContainsKey(b)).Order(StringComparer.Ordinal).ToList();
        var wanted = new Dictionary<string, string>(StringComparer.Ordinal); // rsID → vsID
        var claims = new Dictionary<string, RemoteBackend>(StringComparer.Ordinal);
        foreach (var service in desired.Services)
        {
            foreach (var backend in service.Backends)
            {
                wanted[backend.Id] = service.Id;
                claims[backend.Id] = backend;
            }
        }
        var b = new Builder(observed.Clone(),
            ownedServices.Except(forgetServices, StringComparer.Ordinal),
            ownedBackends.Where(o => !forgetBackends.Contains(o.Key, StringComparer.Ordinal)),
            claims);
        b.ClearTheWay(desired);
        foreach (var service in desired.Services)
        {
            if (!b.EnsureService(service, out var serviceStep)) continue;
            int[] after = serviceStep is { } step ? [step] : [];
            foreach (var backend in service.Backends) b.EnsureBackend(service, backend, after);
        }
        b.DeleteUnwantedBackends(wanted);
        b.DeleteUnwantedServices(desired);
        return new RemotePlan(forgetServices, forgetBackends, b.Calls, b.Refusals);
    }

    /// <summary>
    /// The steps for a service the daemon already has (found by reading it back after a 409 on create): nothing when it
    /// matches; else fixed, or used as it is when other clients' backends are in it.
    /// </summary>
    public static RemotePlan PlanExistingService(
        RemoteService service,
        GorbServiceInfo info,
        IReadOnlyCollection<string> ownedServices,
        IReadOnlyDictionary<string, OwnedBackend> ownedBackends,
        bool retryCreate)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(info);
        var b = new Builder(new DaemonView().WithService(service.Id, info), ownedServices, ownedBackends);
        b.VerifyService(service, info, retryCreate, out _);
        return new RemotePlan([], [], b.Calls, b.Refusals);
    }

    /// <summary>
    /// The weight step for a backend that is where it should be, or null: PATCHed when it differs and either the agent did
    /// not send this weight last time (<paramref name="lastSent"/>) or the daemon reports the backend up and fully healthy.
    /// </summary>
    public static SetBackendWeight? PlanWeight(string serviceId, RemoteBackend backend, GorbBackendInfo info, int? lastSent)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(info);
        var current = info.Options?.Weight ?? 0;
        if (current == backend.Weight) return null;
        var steady = info.Metrics is null || (info.Metrics.Status == GorbStatus.Up && info.Metrics.Health >= 1.0);
        if (lastSent == backend.Weight && !steady) return null; // the daemon's health check holds it at another weight
        return new SetBackendWeight(serviceId, backend, AfterCreate: false, WeightWhat(backend, current));
    }

    /// <summary>The builder of one plan: its steps, and the view and ownership as they will be once they succeed.</summary>
    /// <param name="claims">The desired backends by rsID: one of them that already points where it is wanted is this agent's, owned or not.</param>
    private sealed class Builder(
        DaemonView view,
        IEnumerable<string> ownedServices,
        IEnumerable<KeyValuePair<string, OwnedBackend>> ownedBackends,
        IReadOnlyDictionary<string, RemoteBackend>? claims = null)
    {
        private readonly HashSet<string> _services = new(ownedServices, StringComparer.Ordinal);
        private readonly Dictionary<string, OwnedBackend> _backends = new(ownedBackends, StringComparer.Ordinal);
        private readonly Dictionary<string, List<int>> _backendDeletes = new(StringComparer.Ordinal);
        /// <summary>vsID → its PATCH step, which a daemon without that route resolves by re-creating the service.</summary>
        private readonly Dictionary<string, int> _updates = new(StringComparer.Ordinal);

        public List<RemoteCall> Calls { get; } = [];
        public List<string> Refusals { get; } = [];

        private int Add(RemoteCall call, IReadOnlyList<int>? after = null)
        {
            Calls.Add(after is { Count: > 0 } ? call with { After = after } : call);
            return Calls.Count - 1;
        }

        /// <summary>
        /// Deletes first the owned entries that hold an address a desired entry needs under another ID: a service that is
        /// no longer wanted, or wanted at another address, where a desired service is to be (its service label changed,
        /// the VIP and port did not), and a backend at the address of another desired backend of the same service (a
        /// container replaced by one that got the same host port). The daemon refuses a second entry at one address (409),
        /// so created first the new entry would fail the pass and wait for the next one. A service that holds others'
        /// backends is not touched here; the create is then refused and reported.
        /// </summary>
        public void ClearTheWay(RemoteDesiredState desired)
        {
            var wantedAt = desired.Services.ToDictionary(s => s.Id, StringComparer.Ordinal);
            foreach (var service in desired.Services)
            {
                foreach (var (vsId, info) in view.Services.ToList())
                {
                    if (vsId == service.Id || !_services.Contains(vsId) || info.Options is not { } options || !SameEndpoint(options, service)) continue;
                    if (wantedAt.TryGetValue(vsId, out var other) && SameEndpoint(options, other)) continue; // two desired services never share an address
                    if (Others(info).Count > 0) continue;
                    foreach (var rsId in (info.Backends ?? []).ToList())
                        DeleteBackend(vsId, rsId, $"delete backend {rsId} of service {vsId}: service {service.Id} takes its address", []);
                    Add(new DeleteService(vsId, [], $"delete service {vsId}: service {service.Id} takes its address"), _backendDeletes.GetValueOrDefault(vsId));
                    _services.Remove(vsId);
                    view.RemoveService(vsId);
                }
                if (!view.Services.TryGetValue(service.Id, out var current)) continue;
                foreach (var backend in service.Backends)
                {
                    foreach (var rsId in (current.Backends ?? []).ToList())
                    {
                        if (rsId == backend.Id || !_backends.ContainsKey(rsId) || !view.Backends.TryGetValue(rsId, out var info) || !SameEndpoint(info.Options, backend)) continue;
                        DeleteBackend(service.Id, rsId, $"delete backend {rsId} of service {service.Id}: backend {backend.Id} takes its address {backend.Destination}", []);
                    }
                }
            }
        }

        /// <summary>False when the service will not exist; <paramref name="step"/> is the step that makes it exist, if any.</summary>
        public bool EnsureService(RemoteService service, out int? step)
        {
            if (view.Services.TryGetValue(service.Id, out var info)) return VerifyService(service, info, retryCreate: true, out step);
            step = null;
            if (service.Backends.All(b => b.Draining)) return false; // nothing it would serve
            step = CreateService(service, retryCreate: true, []);
            return true;
        }

        private int CreateService(RemoteService service, bool retryCreate, IReadOnlyList<int> after)
        {
            var step = Add(new CreateService(service, retryCreate, $"create service {service.Id} ({Describe(service.Options)})"), after);
            _services.Add(service.Id);
            view.WithService(service.Id, service.Options);
            return step;
        }

        public bool VerifyService(RemoteService service, GorbServiceInfo info, bool retryCreate, out int? step)
        {
            step = null;
            var difference = ServiceDifference(info.Options, service);
            if (difference is null) return true;
            var others = Others(info);
            if (!_services.Contains(service.Id) && others.Count > 0)
            {
                Refusals.Add($"service {service.Id} differs from what this agent wants ({difference}), but another client created it " +
                    $"and has backends in it ({string.Join(", ", others)}); used as it is");
                return true;
            }
            if (info.Options is { } current && SameEndpoint(current, service))
            {
                var patch = new GorbServicePatch
                {
                    Method = service.Options.Method,
                    Flags = service.Options.Flags,
                    Persistent = service.Options.Persistent,
                    PersistenceTimeout = service.Options.PersistenceTimeout,
                };
                // Upstream GORB has no PATCH /service/{vs}: where it answers so, the service is re-created instead.
                // Re-created, it is empty: the backends this pass leaves in it as they are are created again, and the steps
                // of this plan that act on them as they were (adopt, weight) are skipped (InPlace).
                var alone = new DaemonView().WithService(service.Id, info);
                foreach (var rsId in info.Backends ?? []) if (view.Backends.TryGetValue(rsId, out var details)) alone.WithBackend(rsId, details);
                var fallback = new Builder(alone, _services, _backends, claims);
                var created = fallback.Recreate(service, info, difference, retryCreate, []);
                if (created is not null)
                {
                    foreach (var backend in service.Backends.Where(b => !b.Draining && StaysInPlace(service, b))) fallback.CreateBackend(service, backend, [created.Value]);
                }
                var update = Add(new UpdateService(service.Id, service.Options, patch, new RemotePlan([], [], fallback.Calls, fallback.Refusals),
                    $"update service {service.Id} ({difference})"));
                if (created is not null) _updates[service.Id] = update;
                view.SetServiceOptions(service.Id, service.Options);
                return true;
            }
            step = Recreate(service, info, difference, retryCreate, []);
            return step is not null || others.Count > 0;
        }

        /// <summary>DELETE and PUT, unless other clients' backends are in it; the step that re-creates it, or null.</summary>
        private int? Recreate(RemoteService service, GorbServiceInfo info, string difference, bool retryCreate, IReadOnlyList<int> after)
        {
            var others = Others(info);
            if (others.Count > 0)
            {
                Refusals.Add($"service {service.Id} differs from what this agent wants ({difference}) and cannot be changed in place; " +
                    $"it holds backends of other clients ({string.Join(", ", others)}), so it is left as it is");
                return null;
            }
            var backends = (info.Backends ?? []).ToList();
            var deleted = Add(new DeleteService(service.Id, backends, $"delete service {service.Id} to re-create it ({difference})"), after);
            foreach (var rsId in backends) _backends.Remove(rsId);
            view.RemoveService(service.Id);
            if (!retryCreate)
            {
                Add(new GiveUp($"create service {service.Id}: it was re-created by someone else at once; left to the next pass"), [deleted]);
                return null;
            }
            return CreateService(service, retryCreate: false, [deleted]);
        }

        /// <summary>
        /// Other clients' backends in the service: neither owned nor a desired rsID that already points at its desired
        /// endpoint (that one this pass adopts or moves, so it does not keep the service from being fixed).
        /// </summary>
        private List<string> Others(GorbServiceInfo info) => [.. (info.Backends ?? []).Where(rs => !_backends.ContainsKey(rs) && !Claimed(rs))];

        /// <summary>The backend is in the service and points where it is wanted, with the wanted forwarding: this pass at most adopts it or sets its weight.</summary>
        private bool StaysInPlace(RemoteService service, RemoteBackend backend) =>
            view.Home.TryGetValue(backend.Id, out var home) && home == service.Id && view.Backends.TryGetValue(backend.Id, out var info) &&
            SameEndpoint(info.Options, backend) && SameForward(info.Options, backend);

        private bool Claimed(string rsId) =>
            claims is not null && claims.TryGetValue(rsId, out var wanted) && view.Backends.TryGetValue(rsId, out var info) && SameEndpoint(info.Options, wanted);

        public void EnsureBackend(RemoteService service, RemoteBackend backend, IReadOnlyList<int> after)
        {
            var createAfter = after;
            if (view.Home.TryGetValue(backend.Id, out var home) && home != service.Id)
            {
                view.Backends.TryGetValue(backend.Id, out var elsewhere);
                if (!_backends.ContainsKey(backend.Id) && !SameEndpoint(elsewhere?.Options, backend))
                {
                    Refusals.Add($"backend {backend.Id} (container {backend.Container}) is taken: the daemon has it in service {home}, " +
                        $"pointing at {Endpoint(elsewhere?.Options)}; left alone");
                    return;
                }
                createAfter = [.. after, DeleteBackend(home, backend.Id, $"move backend {backend.Id} from service {home} to {service.Id}", after)];
            }
            else if (home == service.Id && view.Backends.TryGetValue(backend.Id, out var info))
            {
                var owned = _backends.TryGetValue(backend.Id, out var record);
                var sameEndpoint = SameEndpoint(info.Options, backend);
                if (sameEndpoint && SameForward(info.Options, backend))
                {
                    var update = _updates.TryGetValue(service.Id, out var u);
                    IReadOnlyList<int> inPlaceAfter = update ? [.. after, u] : after;
                    if (!owned)
                    {
                        Add(new AdoptBackend(service.Id, backend.Id, $"adopt backend {backend.Id}: it already points at {backend.Destination}") { InPlace = update }, inPlaceAfter);
                        _backends[backend.Id] = new OwnedBackend(service.Id, null);
                    }
                    if (PlanWeight(service.Id, backend, info, owned ? record!.Weight : null) is { } weight)
                    {
                        Add(weight with { InPlace = update }, inPlaceAfter);
                        _backends[backend.Id] = new OwnedBackend(service.Id, backend.Weight);
                        view.SetBackendWeight(backend.Id, backend.Weight);
                    }
                    return;
                }
                if (!owned && !sameEndpoint)
                {
                    Refusals.Add($"backend {backend.Id} of service {service.Id} points at {Endpoint(info.Options)}, not {backend.Destination} " +
                        $"(container {backend.Container}), and another client created it; left alone");
                    return;
                }
                createAfter = [.. after, DeleteBackend(service.Id, backend.Id,
                    $"delete backend {backend.Id} to re-create it ({Endpoint(info.Options)} {info.Options?.Method} → {backend.Destination} {backend.Options.Method})", after)];
            }
            if (backend.Draining) return; // at weight 0 it would serve nothing
            CreateBackend(service, backend, createAfter);
        }

        private void CreateBackend(RemoteService service, RemoteBackend backend, IReadOnlyList<int> after)
        {
            var sent = backend.Options.Weight <= 0 ? GorbWords.DefaultWeight : (int)backend.Options.Weight;
            var created = Add(new CreateBackend(service.Id, backend, sent,
                $"create backend {backend.Id} → {backend.Destination} weight {backend.Weight} {backend.Options.Method} in service {service.Id} for container {backend.Container}"), after);
            _backends[backend.Id] = new OwnedBackend(service.Id, sent);
            view.AddBackend(service.Id, backend.Id, new GorbBackendInfo { Options = Copy(backend.Options, sent) });
            // GORB turns weight 0 into its default on create; PATCH applies 0 as it is.
            if (backend.Weight == sent) return;
            Add(new SetBackendWeight(service.Id, backend, AfterCreate: true, WeightWhat(backend, sent)), [created]);
            _backends[backend.Id] = new OwnedBackend(service.Id, backend.Weight);
            view.SetBackendWeight(backend.Id, backend.Weight);
        }

        private int DeleteBackend(string vsId, string rsId, string what, IReadOnlyList<int> after)
        {
            var step = Add(new DeleteBackend(vsId, rsId, what), after);
            _backends.Remove(rsId);
            view.RemoveBackend(rsId);
            if (!_backendDeletes.TryGetValue(vsId, out var deletes)) _backendDeletes[vsId] = deletes = [];
            deletes.Add(step);
            return step;
        }

        public void DeleteUnwantedBackends(Dictionary<string, string> wanted)
        {
            foreach (var (rsId, record) in _backends.OrderBy(b => b.Key, StringComparer.Ordinal).ToList())
            {
                var home = view.Home.GetValueOrDefault(rsId) ?? record.Service;
                if (wanted.TryGetValue(rsId, out var vsId) && vsId == home) continue;
                DeleteBackend(home, rsId, $"delete backend {rsId} of service {home}: its container is gone", []);
            }
        }

        public void DeleteUnwantedServices(RemoteDesiredState desired)
        {
            var wanted = new HashSet<string>(desired.Services.Select(s => s.Id), StringComparer.Ordinal);
            foreach (var vsId in _services.Order(StringComparer.Ordinal).ToList())
            {
                if (wanted.Contains(vsId) || !view.Services.TryGetValue(vsId, out var info)) continue;
                var remaining = info.Backends ?? [];
                if (remaining.Count > 0)
                {
                    Refusals.Add($"service {vsId}, created by this agent and no longer wanted, still holds backends of other clients ({string.Join(", ", remaining)}); kept");
                    continue;
                }
                Add(new DeleteService(vsId, [], $"delete service {vsId}: no backends left"), _backendDeletes.GetValueOrDefault(vsId));
                _services.Remove(vsId);
                view.RemoveService(vsId);
            }
        }
    }

    private static string WeightWhat(RemoteBackend backend, long current) =>
        $"set weight of backend {backend.Id} to {backend.Weight} (was {current}){(backend.Draining ? $", container {backend.Container} is draining" : "")}";

    internal static GorbBackendOptions Copy(GorbBackendOptions options, int weight) => new()
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

    internal static string Endpoint(GorbBackendOptions? o) => o is null ? "an unknown address" :
        IPAddress.TryParse(o.Host, out var ip) ? IpvsNames.Endpoint(ip, (ushort)Math.Clamp(o.Port, 0, ushort.MaxValue)) : $"{o.Host}:{o.Port}";

    private static bool SameEndpoint(GorbServiceOptions current, RemoteService service)
    {
        var want = service.Options;
        return SameHost(current.Host, want.Host) && current.Port == want.Port &&
               string.Equals(Or(current.Protocol, "tcp"), want.Protocol, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>What differs between the daemon's service and the desired one, in words; null when nothing does.</summary>
    public static string? ServiceDifference(GorbServiceOptions? current, RemoteService service)
    {
        ArgumentNullException.ThrowIfNull(service);
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

    internal static bool SameEndpoint(GorbBackendOptions? current, RemoteBackend backend) =>
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
