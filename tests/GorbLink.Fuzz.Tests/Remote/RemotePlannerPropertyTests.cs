using System.Net;
using CsCheck;
using GorbLink.Fuzz.Tests.Support;
using GorbLink.Ipvs;
using GorbLink.Remote.Client;
using GorbLink.Remote.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Fuzz.Tests.Remote;

/// <summary>
/// The remote planner's promise, for random desired states and random daemons (services and backends this agent owns,
/// some drifted in options, weights or forwarding, some in the wrong service, some left by an earlier pass that stopped
/// half-way; others' services and backends; owned entries the daemon lost): one pass, read as the reconciler reads
/// and run by the real executor against a daemon in memory (<see cref="GorbDaemonModel"/>, which refuses what
/// `gorblink serve` refuses), fails no call and leaves the daemon with
/// <list type="bullet">
/// <item>every desired service there (unless it never existed and all its backends drain) with the desired options,
/// except one that holds others' backends and that this agent may not change (as the planner reports);</item>
/// <item>every desired backend in its service with the desired endpoint, forwarding and weight (a draining one at weight
/// 0 or absent; a weight the daemon's health check holds is kept), except an rsID another client holds for another
/// endpoint;</item>
/// <item>nothing owned that is not wanted (an unwanted owned service stays only while others' backends are in it);</item>
/// <item>others' entries as they were: never deleted, their options and weights unchanged;</item>
/// <item>the ownership record listing exactly what is there and is this agent's;</item>
/// </list>
/// and a second plan against the result has nothing left to do.
/// </summary>
public sealed class RemotePlannerPropertyTests
{
    private const string BackendHost = "10.0.0.5";

    /// <summary>vsIDs: the first four may be desired; the last is only ever someone else's.</summary>
    private static readonly string[] ServiceIds = ["web-80-tcp", "api-80-tcp", "dns-53-udp", "admin-81-tcp", "theirs-90-tcp"];
    private const int DesirableServices = 4;

    /// <summary>Protocol, host ("" is the daemon's default address) and port: few, so that services meet at one address.</summary>
    private static readonly (string Protocol, string Host, int Port)[] ServiceAddresses =
        [("tcp", "", 80), ("tcp", "10.1.0.9", 80), ("tcp", "", 81), ("udp", "", 53), ("tcp", "", 90)];

    private static readonly string[] Schedulers = ["wrr", "rr", "sh"];

    /// <summary>rsIDs: the first five may be desired; the last is only ever someone else's.</summary>
    private static readonly string[] BackendIds = ["a-8080-tcp", "b-8080-tcp", "c-8080-tcp", "d-8080-tcp", "e-8080-tcp", "x-8080-tcp"];
    private const int DesirableBackends = 5;

    private static readonly (string Host, int Port)[] BackendAddresses = [(BackendHost, 32768), (BackendHost, 32769), ("10.0.0.6", 32768)];
    private static readonly int[] Weights = [100, 50, 0];
    private static readonly string[] Forwards = ["nat", "dr"];
    private static readonly GorbBackendMetrics[] Metrics =
    [
        GorbDaemonModel.Up,
        new() { Status = GorbStatus.Down, Health = 0 },
        new() { Status = GorbStatus.Up, Health = 0.5 },
    ];
    private static readonly int?[] LastSent = [null, 100, 50, 0];

    /// <summary>One entry of the daemon before the pass.</summary>
    private sealed record DaemonService(string Id, GorbServiceOptions Options, bool Owned);

    private sealed record DaemonBackend(string Id, string Service, GorbBackendOptions Options, GorbBackendMetrics Metrics, bool Owned, int? LastSent);

    private sealed record Case(
        RemoteService[] Desired,
        DaemonService[] Services,
        DaemonBackend[] Backends,
        string[] StaleServices,
        string[] StaleBackends,
        bool PatchesServices)
    {
        public GorbDaemonModel Daemon()
        {
            var daemon = new GorbDaemonModel { PatchesServices = PatchesServices };
            foreach (var s in Services) daemon.AddService(s.Id, s.Options);
            foreach (var b in Backends) daemon.AddBackend(b.Service, b.Id, b.Options, b.Metrics);
            return daemon;
        }

        public RemoteOwnership Ownership()
        {
            var owned = new RemoteOwnership("/nonexistent/remote-model.json", "model");
            foreach (var s in Services.Where(s => s.Owned)) owned.AddService(s.Id);
            foreach (var s in StaleServices) owned.AddService(s);
            foreach (var b in Backends.Where(b => b.Owned)) owned.SetBackend(b.Id, new OwnedBackend(b.Service, b.LastSent));
            foreach (var b in StaleBackends) owned.SetBackend(b, new OwnedBackend(ServiceIds[0], 100));
            return owned;
        }

        public override string ToString() =>
            "desired:\n" + string.Join('\n', Desired.Select(s => $"  {s.Id}: {GorbDaemonModel.ServiceText(s.Options)} [" +
                string.Join(", ", s.Backends.Select(b => $"{b.Id} {GorbDaemonModel.BackendText(b.Options)}{(b.Draining ? " draining" : "")}")) + "]")) +
            $"\ndaemon{(PatchesServices ? "" : " (no PATCH /service)")}:\n  " + Daemon().Dump().Replace("\n", "\n  ", StringComparison.Ordinal) +
            $"\nowned services: {string.Join(", ", Services.Where(s => s.Owned).Select(s => s.Id).Concat(StaleServices.Select(s => s + " (gone)")))}" +
            $"\nowned backends: {string.Join(", ", Backends.Where(b => b.Owned).Select(b => $"{b.Id} in {b.Service} sent {b.LastSent?.ToString() ?? "-"}").Concat(StaleBackends.Select(b => b + " (gone)")))}";
    }

    private static Gen<int[]> Choices(params int[] counts) => Tables.All(counts.Select(n => Gen.Int[0, n - 1]));

    private static GorbServiceOptions ServiceOptions(int address, int scheduler, bool flag, bool persistent)
    {
        var (protocol, host, port) = ServiceAddresses[address];
        return new GorbServiceOptions
        {
            Host = host,
            Port = port,
            Protocol = protocol,
            Method = Schedulers[scheduler],
            Flags = GorbWords.Flags(flag ? ServiceFlags.Sched1 : ServiceFlags.None, Schedulers[scheduler]),
            Persistent = persistent,
            PersistenceTimeout = persistent ? 300 : null,
        };
    }

    private static GorbBackendOptions BackendOptions(int address, int weight, int forward) => new()
    {
        Host = BackendAddresses[address].Host,
        Port = BackendAddresses[address].Port,
        Weight = Weights[weight],
        Method = Forwards[forward],
    };

    /// <summary>
    /// Desired: each desirable vsID absent or present (address, scheduler, flag, persistence), each desirable rsID in
    /// none or one of them (address, weight, forwarding, draining). Addresses are unique among services and among a
    /// service's backends, as the desired-state mapper makes them.
    /// </summary>
    private static readonly Gen<RemoteService[]> DesiredStates =
        Gen.Select(Choices([.. Enumerable.Repeat(0, DesirableServices).SelectMany(_ => new[] { 2, ServiceAddresses.Length - 1, Schedulers.Length, 2, 2 })]),
                Choices([.. Enumerable.Repeat(0, DesirableBackends).SelectMany(_ => new[] { DesirableServices + 1, BackendAddresses.Length, Weights.Length, 2, 4 })]))
            .Select(t =>
            {
                var (s, b) = t;
                var services = new List<RemoteService>();
                for (var i = 0; i < DesirableServices; i++)
                {
                    var c = s.AsSpan(i * 5, 5);
                    if (c[0] == 0) continue;
                    var options = ServiceOptions(c[1], c[2], c[3] == 1, c[4] == 1);
                    if (services.Any(x => x.Options.Protocol == options.Protocol && x.Options.Host == options.Host && x.Options.Port == options.Port)) continue;
                    var backends = new List<RemoteBackend>();
                    for (var j = 0; j < DesirableBackends; j++)
                    {
                        var d = b.AsSpan(j * 5, 5);
                        if (d[0] != i + 1) continue;
                        var draining = d[4] == 0;
                        var backend = BackendOptions(d[1], draining ? Weights.Length - 1 : d[2], d[3]);
                        if (backends.Any(x => x.Options.Host == backend.Host && x.Options.Port == backend.Port)) continue;
                        backends.Add(new RemoteBackend(BackendIds[j], new DestinationKey(IPAddress.Parse(backend.Host!), (ushort)backend.Port), backend,
                            (int)backend.Weight, draining, "c-" + BackendIds[j][..1]));
                    }
                    if (backends.Count == 0) continue; // the mapper sends no service without backends
                    services.Add(new RemoteService(ServiceIds[i], ServiceIds[i], VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Any, 80), options,
                        c[3] == 1 ? ServiceFlags.Sched1 : ServiceFlags.None, backends));
                }
                return services.ToArray();
            });

    /// <summary>
    /// The daemon, from the desired state: each vsID absent, as desired, or drifted (any address and options), owned or
    /// not; each rsID absent, as desired (in its service, at its address), or anywhere (any service, address, weight,
    /// forwarding), with its health-check metrics, owned or not and with the weight last sent; owned entries the daemon
    /// no longer has. Addresses are unique where the daemon makes them so; others' entries never take an address a
    /// desired entry needs under another ID (a conflict no planner can resolve).
    /// </summary>
    private static Gen<Case> Cases =>
        DesiredStates.SelectMany(desired => Gen.Select(
            Choices([.. Enumerable.Repeat(0, ServiceIds.Length).SelectMany(_ => new[] { 3, ServiceAddresses.Length, Schedulers.Length, 2, 2, 2 })]),
            Choices([.. Enumerable.Repeat(0, BackendIds.Length).SelectMany(_ => new[] { 3, ServiceIds.Length, BackendAddresses.Length, Weights.Length, 2, Metrics.Length, 2, LastSent.Length })]),
            Gen.Bool.Array[ServiceIds.Length + BackendIds.Length],
            Gen.Int[0, 3],
            (s, b, stale, patches) => Build(desired, s, b, stale, patches != 0)));

    private static Case Build(RemoteService[] desired, int[] s, int[] b, bool[] stale, bool patchesServices)
    {
        var wantedService = desired.ToDictionary(x => x.Id, StringComparer.Ordinal);
        var wantedBackend = desired.SelectMany(x => x.Backends.Select(y => (Service: x, Backend: y))).ToDictionary(x => x.Backend.Id, StringComparer.Ordinal);
        var services = new List<DaemonService>();
        for (var i = 0; i < ServiceIds.Length; i++)
        {
            var c = s.AsSpan(i * 6, 6);
            if (c[0] == 0) continue;
            var id = ServiceIds[i];
            var owned = c[5] == 1;
            var options = c[0] == 1 && wantedService.TryGetValue(id, out var want) ? want.Options : ServiceOptions(c[1], c[2], c[3] == 1, c[4] == 1);
            if (services.Any(x => SameAddress(x.Options, options))) continue;
            // Someone else's service at an address a desired service needs, under another vsID: no pass can resolve it.
            if (!owned && desired.Any(x => x.Id != id && SameAddress(x.Options, options))) continue;
            services.Add(new DaemonService(id, options, owned));
        }
        var backends = new List<DaemonBackend>();
        for (var j = 0; j < BackendIds.Length; j++)
        {
            var c = b.AsSpan(j * 8, 8);
            if (c[0] == 0 || services.Count == 0) continue;
            var id = BackendIds[j];
            var owned = c[6] == 1;
            string service;
            GorbBackendOptions options;
            if (c[0] == 1 && wantedBackend.TryGetValue(id, out var want) && services.Any(x => x.Id == want.Service.Id))
                (service, options) = (want.Service.Id, BackendOptions(Array.FindIndex(BackendAddresses, a => a.Host == want.Backend.Options.Host && a.Port == want.Backend.Options.Port),
                    c[3], Array.IndexOf(Forwards, want.Backend.Options.Method)));
            else
                (service, options) = (services[c[1] % services.Count].Id, BackendOptions(c[2], c[3], c[4]));
            if (backends.Any(x => x.Service == service && x.Options.Host == options.Host && x.Options.Port == options.Port)) continue;
            // Someone else's backend at the address a desired backend of that service needs, under another rsID: unresolvable.
            if (!owned && wantedService.TryGetValue(service, out var ws) &&
                ws.Backends.Any(x => x.Id != id && x.Options.Host == options.Host && x.Options.Port == options.Port)) continue;
            // Nor one in a service at an address a desired service needs under another vsID: that service could then not give way.
            var home = services.First(x => x.Id == service);
            var claimed = wantedBackend.TryGetValue(id, out var w) && w.Backend.Options.Host == options.Host && w.Backend.Options.Port == options.Port;
            if (!owned && !claimed && desired.Any(x => x.Id != service && SameAddress(x.Options, home.Options))) continue;
            backends.Add(new DaemonBackend(id, service, options, Metrics[c[5]], owned, LastSent[c[7]]));
        }
        string[] staleServices = [.. ServiceIds.Where((id, i) => stale[i] && services.All(x => x.Id != id))];
        string[] staleBackends = [.. BackendIds.Where((id, j) => stale[ServiceIds.Length + j] && backends.All(x => x.Id != id))];
        return new Case(desired, [.. services], [.. backends], staleServices, staleBackends, patchesServices);
    }

    private static bool SameAddress(GorbServiceOptions a, GorbServiceOptions b) => a.Protocol == b.Protocol && a.Host == b.Host && a.Port == b.Port;

    [Fact]
    public void OnePassGivesTheDesiredStateWithinWhatIsOwnedAndLeavesOthersEntriesAlone()
    {
        FuzzRun.Run(Cases, Check, c => c.ToString(), seconds: FuzzRun.PropertySeconds);
    }

    private static void Check(Case c)
    {
        var daemon = c.Daemon();
        var owned = c.Ownership();
        var (execution, _) = Pass(daemon, owned, c.Desired);
        Assert.True(execution.Failures.Count == 0, "the pass failed: " + string.Join("; ", execution.Failures) + "\nafter:\n" + daemon.Dump());

        var ownedServices = c.Services.Where(s => s.Owned).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var ownedBackends = c.Backends.Where(b => b.Owned).ToDictionary(b => b.Id, StringComparer.Ordinal);
        var before = c.Backends.ToDictionary(b => b.Id, StringComparer.Ordinal);
        var wanted = c.Desired.SelectMany(s => s.Backends.Select(b => (Service: s.Id, Backend: b))).ToDictionary(x => x.Backend.Id, StringComparer.Ordinal);
        var after = "\nafter:\n" + daemon.Dump();

        // A backend no one owns is this agent's when it wants that rsID at that very address (it is adopted, or moved).
        bool Claimed(DaemonBackend b) => wanted.TryGetValue(b.Id, out var w) && SameEndpoint(b.Options, w.Backend.Options);

        // Others' backends: where they were, as they were, unless this agent wants that rsID at that very address (it is then adopted).
        foreach (var b in c.Backends.Where(b => !b.Owned))
        {
            if (Claimed(b)) continue;
            Assert.True(daemon.Backends.TryGetValue(b.Id, out var now), $"another client's backend {b.Id} was deleted{after}");
            Assert.True(now.Service == b.Service && GorbDaemonModel.BackendText(now.Options) == GorbDaemonModel.BackendText(b.Options),
                $"another client's backend {b.Id} was changed{after}");
        }

        // Others' services: never deleted; their options change only where this agent wants that vsID and no one else's backends are in it.
        foreach (var s in c.Services.Where(s => !s.Owned))
        {
            Assert.True(daemon.Services.TryGetValue(s.Id, out var now), $"another client's service {s.Id} was deleted{after}");
            var othersIn = c.Backends.Any(b => b.Service == s.Id && !b.Owned && !Claimed(b));
            if (c.Desired.All(d => d.Id != s.Id) || othersIn)
                Assert.True(GorbDaemonModel.ServiceText(now.Options) == GorbDaemonModel.ServiceText(s.Options), $"another client's service {s.Id} was changed{after}");
        }

        // Desired services and their backends.
        foreach (var s in c.Desired)
        {
            var existed = c.Services.FirstOrDefault(x => x.Id == s.Id);
            var exists = daemon.Services.TryGetValue(s.Id, out var now);
            // One that must be re-created (it is at another address) and has only draining backends may be left out.
            var serves = s.Backends.Any(b => !b.Draining);
            if (serves || (existed is not null && SameAddress(existed.Options, s.Options)))
                Assert.True(exists, $"service {s.Id} is missing{after}");
            else if (existed is null)
                Assert.False(exists, $"service {s.Id} was created with only draining backends{after}");
            if (!exists) continue;
            var othersIn = existed is not null && c.Backends.Any(b => b.Service == s.Id && !b.Owned && !Claimed(b));
            // The planner's rule: fixed unless others' backends are in it and it is someone else's, or it must be re-created
            // (at another address, or by a daemon without PATCH /service).
            var mayChange = existed is null || !othersIn || (existed.Owned && SameAddress(existed.Options, s.Options) && c.PatchesServices);
            if (mayChange)
                Assert.True(RemotePlanner.ServiceDifference(now!.Options, s) is null, $"service {s.Id} differs: {RemotePlanner.ServiceDifference(now!.Options, s)}{after}");
            else
                Assert.True(GorbDaemonModel.ServiceText(now!.Options) == GorbDaemonModel.ServiceText(existed!.Options), $"service {s.Id}, which holds others' backends, was changed{after}");

            foreach (var b in s.Backends)
            {
                var old = before.GetValueOrDefault(b.Id);
                if (old is { Owned: false } && !SameEndpoint(old.Options, b.Options)) continue; // someone else's rsID: checked above
                var present = daemon.Backends.TryGetValue(b.Id, out var rs);
                if (b.Draining && !present) continue;
                Assert.True(present && rs!.Service == s.Id, $"backend {b.Id} is {(present ? $"in service {rs!.Service}, not {s.Id}" : "missing")}{after}");
                Assert.True(SameEndpoint(rs!.Options, b.Options) && rs.Options.Method == b.Options.Method,
                    $"backend {b.Id} is {GorbDaemonModel.BackendText(rs.Options)}, wanted {GorbDaemonModel.BackendText(b.Options)}{after}");
                // A weight stays only where it stayed in place, the agent sent this weight last, and the daemon's health check holds it.
                var stayed = old is not null && old.Service == s.Id && SameEndpoint(old.Options, b.Options) && old.Options.Method == b.Options.Method &&
                             daemon.Backends[b.Id].Metrics == old.Metrics;
                var held = stayed && old!.Owned && old.LastSent == b.Weight && !(old.Metrics.Status == GorbStatus.Up && old.Metrics.Health >= 1);
                Assert.True(rs.Options.Weight == (held ? old!.Options.Weight : b.Weight),
                    $"backend {b.Id} has weight {rs.Options.Weight}, wanted {b.Weight}{(held ? $" (held at {old!.Options.Weight})" : "")}{after}");
            }
        }

        // What this agent owned and no longer wants is gone (a service stays while others' backends are in it).
        foreach (var b in ownedBackends.Values.Where(b => !wanted.ContainsKey(b.Id)))
            Assert.False(daemon.Backends.ContainsKey(b.Id), $"owned backend {b.Id} is no longer wanted but still there{after}");
        foreach (var id in ownedServices.Where(id => c.Desired.All(d => d.Id != id)))
            Assert.True(!daemon.Services.TryGetValue(id, out var left) || left.Backends.Any(rs => !owned.OwnsBackend(rs)),
                $"owned service {id} is no longer wanted and holds no one else's backends, but is still there{after}");

        // The record lists exactly what is there and is this agent's.
        foreach (var id in owned.Services)
            Assert.True(daemon.Services.ContainsKey(id), $"the record lists service {id}, which the daemon does not have{after}");
        foreach (var (id, record) in owned.Backends)
            Assert.True(daemon.Backends.TryGetValue(id, out var rs) && rs.Service == record.Service,
                $"the record lists backend {id} in service {record.Service}, which the daemon does not have there{after}");
        foreach (var (id, rs) in daemon.Backends)
        {
            var ours = wanted.TryGetValue(id, out var w) && w.Service == rs.Service && SameEndpoint(rs.Options, w.Backend.Options) && rs.Options.Method == w.Backend.Options.Method;
            var others = before.TryGetValue(id, out var old) && !old.Owned && !ours;
            Assert.True(owned.OwnsBackend(id) == !others, $"backend {id} is {(others ? "another client's" : "this agent's")}, but the record {(owned.OwnsBackend(id) ? "lists" : "does not list")} it{after}");
        }
        foreach (var id in daemon.Services.Keys)
        {
            var others = c.Services.Any(s => s.Id == id && !s.Owned) && !execution.Results.Any(r => r.Call is CreateService cs && cs.Service.Id == id && r.Outcome == RemoteCallOutcome.Applied);
            Assert.True(owned.OwnsService(id) == !others, $"service {id} is {(others ? "another client's" : "this agent's")}, but the record {(owned.OwnsService(id) ? "lists" : "does not list")} it{after}");
        }

        // Level-triggered: a second pass against the result has nothing left to do.
        // (Except a PATCH that a daemon without that route answers by a re-create the planner must refuse: it is tried each pass.)
        var (second, calls) = Pass(daemon, owned, c.Desired);
        var remaining = calls.Where(call => !(call is UpdateService { Fallback.Calls.Count: 0 } && !c.PatchesServices)).ToList();
        Assert.True(remaining.Count == 0 && second.Failures.Count == 0, $"a second pass still does: {string.Join("; ", remaining)}{after}");
    }

    /// <summary>One pass as <see cref="RemoteReconciler"/> runs it (read, plan, forget, execute), without the ownership file.</summary>
    private static (RemoteExecution Execution, IReadOnlyList<RemoteCall> Calls) Pass(GorbDaemonModel daemon, RemoteOwnership owned, RemoteService[] desired)
    {
        var endpoint = RemoteEndpoint.Parse("model:8080");
        var client = new GorbClient(new HttpClient(daemon, disposeHandler: false) { BaseAddress = endpoint.BaseAddress }, endpoint);
        var state = new RemoteDesiredState(1, desired, []);
        var view = RemoteReconciler.ReadAsync(client, owned, state, CancellationToken.None).GetAwaiter().GetResult();
        var plan = RemotePlanner.Plan(state, view, [.. owned.Services], owned.Backends.ToDictionary(StringComparer.Ordinal));
        foreach (var id in plan.ForgetServices) owned.RemoveService(id);
        foreach (var id in plan.ForgetBackends) owned.RemoveBackend(id);
        var execution = new RemotePlanExecutor(client, owned, view, () => { }, dryRun: false, NullLogger.Instance, CancellationToken.None)
            .RunAsync(plan).GetAwaiter().GetResult();
        return (execution, plan.Calls);
    }

    private static bool SameEndpoint(GorbBackendOptions a, GorbBackendOptions b) => a.Host == b.Host && a.Port == b.Port;
}
