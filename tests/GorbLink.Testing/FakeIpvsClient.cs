using System.Net.Sockets;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;
using GorbLink.Netlink;

namespace GorbLink.Testing;

/// <summary>
/// An in-memory IPVS table behind <see cref="IIpvsClient"/>, with kube-proxy FakeIPVS semantics: the errors a kernel
/// returns (EEXIST, ESRCH, ENOENT), readback as a kernel reports it (HASHED, PERSISTENT, explicit netmask), connection
/// counts a test can set, refusals and netlink failures a test can inject, and a record of every batch.
/// Also linked into tests/GorbLink.Remote.Tests, tests/GorbLink.Tests and bench/GorbLink.Bench. Thread-safe.
/// </summary>
public sealed class FakeIpvsClient : IIpvsClient
{
    private const int ENOENT = 2, ESRCH = 3, EEXIST = 17, EINVAL = 22;

    private sealed class Dest(Destination destination)
    {
        public Destination Destination = destination;
        public uint Active;
        public uint Inactive;
    }

    private sealed class Svc(VirtualService service)
    {
        public VirtualService Service = service;
        public readonly Dictionary<DestinationKey, Dest> Destinations = [];
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<VirtualServiceKey, Svc> _services = [];
    private readonly List<IReadOnlyList<IpvsOperation>> _batches = [];

    /// <summary>Returns an errno for an operation the kernel should refuse, or 0.</summary>
    public Func<IpvsOperation, int>? Refuse { get; set; }

    /// <summary>The error of a refused operation; null: one naming its kind and target, "{kind} {target}: errno {n}".</summary>
    public Func<IpvsOperation, int, IpvsException>? RefusalError { get; set; }

    /// <summary>While positive, GetTableAsync throws <see cref="DumpFailure"/> (as a broken netlink socket would) and counts down.</summary>
    public int FailDumps { get; set; }
    public Exception DumpFailure { get; set; } = new IpvsException(IpvsOperationKind.GetService, "services", Errno.ENOBUFS, "dump services: no buffer space available");

    /// <summary>When set, the next ExecuteAsync applies its operations and then throws this: the process dying between batch and bookkeeping.</summary>
    public Exception? FailAfterNextBatch { get; set; }

    /// <summary>When set, the next ExecuteAsync throws this without applying anything.</summary>
    public Exception? FailNextBatch { get; set; }

    public int DumpCalls { get; private set; }

    public IReadOnlyList<IReadOnlyList<IpvsOperation>> Batches { get { lock (_gate) return [.. _batches]; } }
    public int ExecuteCalls { get { lock (_gate) return _batches.Count; } }
    public int Writes { get { lock (_gate) return _batches.Sum(b => b.Count); } }

    public void ResetCounts()
    {
        lock (_gate)
        {
            _batches.Clear();
            DumpCalls = 0;
        }
    }

    /// <summary>Adds a service directly, as ipvsadm or kube-proxy would: not through the agent.</summary>
    public void AddForeign(DesiredService service)
    {
        lock (_gate)
        {
            var svc = _services.TryGetValue(service.Key, out var existing) ? existing : _services[service.Key] = new Svc(service.Service);
            foreach (var d in service.Destinations) svc.Destinations[d.Key] = new Dest(d);
        }
    }

    public void SetConnections(VirtualServiceKey service, DestinationKey destination, uint active, uint inactive)
    {
        lock (_gate)
        {
            var d = _services[service].Destinations[destination];
            d.Active = active;
            d.Inactive = inactive;
        }
    }

    public bool Has(VirtualServiceKey service) { lock (_gate) return _services.ContainsKey(service); }

    public bool Has(VirtualServiceKey service, DestinationKey destination)
    {
        lock (_gate) return _services.TryGetValue(service, out var s) && s.Destinations.ContainsKey(destination);
    }

    public Destination? Find(VirtualServiceKey service, DestinationKey destination)
    {
        lock (_gate) return _services.TryGetValue(service, out var s) && s.Destinations.TryGetValue(destination, out var d) ? d.Destination : null;
    }

    public VirtualService? Find(VirtualServiceKey service)
    {
        lock (_gate) return _services.TryGetValue(service, out var s) ? s.Service : null;
    }

    public int ServiceCount { get { lock (_gate) return _services.Count; } }
    public int DestinationCount { get { lock (_gate) return _services.Values.Sum(s => s.Destinations.Count); } }

    /// <summary>The table as text, for comparing before/after.</summary>
    public string Dump()
    {
        lock (_gate)
        {
            var lines = new List<string>();
            foreach (var key in _services.Keys.Order(KeyOrder.Instance))
            {
                var s = _services[key];
                lines.Add($"{key} {s.Service.Spec.Scheduler}");
                foreach (var dk in s.Destinations.Keys.Order(KeyOrder.Instance))
                {
                    var d = s.Destinations[dk];
                    lines.Add($"  {dk} w={d.Destination.Spec.Weight} {d.Destination.Spec.Forward} a={d.Active} i={d.Inactive}");
                }
            }
            return string.Join("\n", lines);
        }
    }

    public Task<IReadOnlyList<VirtualServiceTable>> GetTableAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            DumpCalls++;
            if (FailDumps > 0)
            {
                FailDumps--;
                throw DumpFailure;
            }
            IReadOnlyList<VirtualServiceTable> tables = [.. _services.Values.Select(Readback)];
            return Task.FromResult(tables);
        }
    }

    private static VirtualServiceTable Readback(Svc s)
    {
        var spec = s.Service.Spec;
        var flags = spec.Flags | ServiceFlags.Hashed;
        if (spec.PersistenceTimeout > 0) flags |= ServiceFlags.Persistent;
        var readback = spec with
        {
            Flags = flags,
            NetmaskPrefixLength = spec.NetmaskPrefixLength ?? (s.Service.Key.Family == AddressFamily.InterNetworkV6 ? 128 : 32),
            PersistenceEngine = spec.PersistenceEngine ?? "",
        };
        return new VirtualServiceTable(
            new VirtualServiceStatus(s.Service with { Spec = readback }, IpvsStats.Empty),
            [.. s.Destinations.Values.Select(d => new DestinationStatus(d.Destination, d.Active, d.Inactive, 0, IpvsStats.Empty))]);
    }

    public Task<IpvsBatchResult> ExecuteAsync(IReadOnlyList<IpvsOperation> operations, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _batches.Add([.. operations]);
            if (FailNextBatch is { } e)
            {
                FailNextBatch = null;
                throw e;
            }
            var failures = new List<IpvsOperationFailure>();
            for (var i = 0; i < operations.Count; i++)
            {
                var operation = operations[i];
                var errno = Refuse?.Invoke(operation) ?? 0;
                if (errno == 0) errno = Apply(operation);
                if (errno != 0)
                {
                    var error = RefusalError?.Invoke(operation, errno)
                        ?? new IpvsException(operation.Kind, operation.Target, new Errno(errno), $"{operation.Kind} {operation.Target}: errno {errno}");
                    failures.Add(new IpvsOperationFailure(i, operation, error));
                }
            }
            if (FailAfterNextBatch is { } after)
            {
                FailAfterNextBatch = null;
                throw after;
            }
            return Task.FromResult(new IpvsBatchResult(operations.Count, failures));
        }
    }

    private int Apply(IpvsOperation operation)
    {
        switch (operation)
        {
            case IpvsOperation.CreateService o:
                if (_services.ContainsKey(o.Service.Key)) return EEXIST;
                _services.Add(o.Service.Key, new Svc(o.Service));
                return 0;
            case IpvsOperation.UpdateService o:
                if (!_services.TryGetValue(o.Service.Key, out var updated)) return ESRCH;
                updated.Service = o.Service;
                return 0;
            case IpvsOperation.DeleteService o:
                return _services.Remove(o.Service) ? 0 : ESRCH;
            case IpvsOperation.CreateDestination o:
                if (!_services.TryGetValue(o.Service, out var s1)) return ESRCH;
                if (s1.Destinations.ContainsKey(o.Destination.Key)) return EEXIST;
                if (o.Destination.Key.Family != o.Service.Family && o.Destination.Spec.Forward != ForwardMethod.Tunnel) return EINVAL;
                s1.Destinations.Add(o.Destination.Key, new Dest(o.Destination));
                return 0;
            case IpvsOperation.UpdateDestination o:
                if (!_services.TryGetValue(o.Service, out var s2)) return ESRCH;
                if (!s2.Destinations.TryGetValue(o.Destination.Key, out var d)) return ENOENT;
                d.Destination = o.Destination;
                return 0;
            case IpvsOperation.DeleteDestination o:
                if (!_services.TryGetValue(o.Service, out var s3)) return ESRCH;
                return s3.Destinations.Remove(o.Destination) ? 0 : ENOENT;
            default:
                return EINVAL;
        }
    }

    private async Task Single(IpvsOperation operation, CancellationToken cancellationToken) =>
        (await ExecuteAsync([operation], cancellationToken).ConfigureAwait(false)).ThrowIfFailed();

    public async Task<IReadOnlyList<VirtualServiceStatus>> GetServicesAsync(CancellationToken cancellationToken = default) =>
        [.. (await GetTableAsync(cancellationToken).ConfigureAwait(false)).Select(t => t.Service)];

    public async Task<VirtualServiceStatus?> GetServiceAsync(VirtualServiceKey key, CancellationToken cancellationToken = default) =>
        (await GetTableAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(t => t.Key == key)?.Service;

    public async Task<IReadOnlyList<DestinationStatus>> GetDestinationsAsync(VirtualServiceKey service, CancellationToken cancellationToken = default) =>
        (await GetTableAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(t => t.Key == service)?.Destinations ?? [];

    public Task CreateServiceAsync(VirtualService service, CancellationToken cancellationToken = default) => Single(new IpvsOperation.CreateService(service), cancellationToken);
    public Task UpdateServiceAsync(VirtualService service, CancellationToken cancellationToken = default) => Single(new IpvsOperation.UpdateService(service), cancellationToken);
    public Task DeleteServiceAsync(VirtualServiceKey service, CancellationToken cancellationToken = default) => Single(new IpvsOperation.DeleteService(service), cancellationToken);
    public Task CreateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.CreateDestination(service, destination), cancellationToken);
    public Task UpdateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.UpdateDestination(service, destination), cancellationToken);
    public Task DeleteDestinationAsync(VirtualServiceKey service, DestinationKey destination, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.DeleteDestination(service, destination), cancellationToken);

    public Task<IpvsInfo> GetInfoAsync(CancellationToken cancellationToken = default) => Task.FromResult(new IpvsInfo(0x010203, 4096));
    /// <summary>The IPVS timeouts; the kernel's defaults until a test or SetTimeoutsAsync changes them.</summary>
    public IpvsTimeouts Timeouts { get; set; } = new(900, 120, 300);

    /// <summary>Every SetTimeoutsAsync call, as sent (0 = keep).</summary>
    public List<IpvsTimeouts> TimeoutWrites { get; } = [];

    public Task<IpvsTimeouts> GetTimeoutsAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(Timeouts);
    }

    /// <summary>When set, SetTimeoutsAsync throws it (a refused IPVS_CMD_SET_CONFIG).</summary>
    public IpvsException? TimeoutsWriteError { get; set; }

    /// <summary>Like IPVS_CMD_SET_CONFIG: a value of 0 leaves that timeout as it is.</summary>
    public Task SetTimeoutsAsync(IpvsTimeouts timeouts, CancellationToken cancellationToken = default)
    {
        if (TimeoutsWriteError is { } error) throw error;
        lock (_gate)
        {
            TimeoutWrites.Add(timeouts);
            Timeouts = new IpvsTimeouts(
                timeouts.Tcp == 0 ? Timeouts.Tcp : timeouts.Tcp,
                timeouts.TcpFin == 0 ? Timeouts.TcpFin : timeouts.TcpFin,
                timeouts.Udp == 0 ? Timeouts.Udp : timeouts.Udp);
        }
        return Task.CompletedTask;
    }
    public Task ZeroAsync(VirtualServiceKey? service = null, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) _services.Clear();
        return Task.CompletedTask;
    }

    // ---- Connection-sync daemons, as the kernel keeps them: at most one per role; NEW_DAEMON of a running role is
    // EEXIST, DEL_DAEMON of a stopped one ESRCH; the dump fills in the kernel's defaults (group 224.0.0.81, port 8848).
    private readonly Dictionary<SyncDaemonState, SyncDaemon> _daemons = [];
    private readonly List<string> _daemonCalls = [];

    /// <summary>Returns an errno for a daemon start the kernel should refuse (ENODEV for a missing interface), or 0.</summary>
    public Func<SyncDaemon, int>? RefuseDaemon { get; set; }

    /// <summary>"start master eth0", "stop backup", ... in order.</summary>
    public IReadOnlyList<string> DaemonCalls { get { lock (_gate) return [.. _daemonCalls]; } }

    /// <summary>A daemon someone else started (ipvsadm --start-daemon).</summary>
    public void RunDaemon(SyncDaemon daemon)
    {
        lock (_gate) _daemons[daemon.State] = WithKernelDefaults(daemon);
    }

    public Task<IReadOnlyList<SyncDaemon>> GetSyncDaemonsAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<SyncDaemon>>([.. _daemons.Values.OrderBy(d => d.State)]);
    }

    public Task StartSyncDaemonAsync(SyncDaemon daemon, CancellationToken cancellationToken = default)
    {
        var role = daemon.State.ToString().ToLowerInvariant();
        lock (_gate)
        {
            _daemonCalls.Add($"start {role} {daemon.Interface}");
            var errno = _daemons.ContainsKey(daemon.State) ? EEXIST : RefuseDaemon?.Invoke(daemon) ?? 0;
            if (errno != 0)
                throw new IpvsException(IpvsOperationKind.StartDaemon, $"{role} sync daemon on {daemon.Interface}", new Errno(errno),
                    $"start {role} sync daemon on {daemon.Interface}: errno {errno}");
            _daemons[daemon.State] = WithKernelDefaults(daemon);
        }
        return Task.CompletedTask;
    }

    public Task StopSyncDaemonAsync(SyncDaemonState state, CancellationToken cancellationToken = default)
    {
        var role = state.ToString().ToLowerInvariant();
        lock (_gate)
        {
            _daemonCalls.Add($"stop {role}");
            if (!_daemons.Remove(state))
                throw new IpvsException(IpvsOperationKind.StopDaemon, $"{role} sync daemon", Errno.ESRCH, $"{role} sync daemon: not running");
        }
        return Task.CompletedTask;
    }

    private static SyncDaemon WithKernelDefaults(SyncDaemon daemon) => daemon with
    {
        MulticastGroup = daemon.MulticastGroup ?? System.Net.IPAddress.Parse("224.0.0.81"),
        MulticastPort = daemon.MulticastPort ?? 8848,
        MulticastTtl = daemon.MulticastTtl ?? 1,
        MaxLength = daemon.MaxLength ?? 1472,
    };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
