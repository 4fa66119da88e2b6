using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Client;

/// <summary>
/// One daemon as it is, or as it will be after some calls: every service with its options and rsIDs, where each rsID
/// lives, and the details of the backends this agent cares about. The planner works on a copy (simulating that its
/// calls succeed); the executor keeps one up to date with the calls the daemon accepted.
/// </summary>
public sealed class DaemonView
{
    private readonly Dictionary<string, GorbServiceInfo> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _home = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GorbBackendInfo> _backends = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, GorbServiceInfo> Services => _services;
    /// <summary>rsID → the vsID whose backend list names it.</summary>
    public IReadOnlyDictionary<string, string> Home => _home;
    public IReadOnlyDictionary<string, GorbBackendInfo> Backends => _backends;

    /// <summary>Records a service as the daemon reports it; its rsIDs are homed here unless already homed elsewhere.</summary>
    public DaemonView WithService(string vsId, GorbServiceOptions? options, params string[] backends) =>
        WithService(vsId, new GorbServiceInfo { Options = options, Health = 1, Backends = [.. backends] });

    public DaemonView WithService(string vsId, GorbServiceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var copy = new GorbServiceInfo { Options = info.Options, Health = info.Health, Backends = [.. info.Backends ?? []] };
        _services[vsId] = copy;
        foreach (var rsId in copy.Backends) _home.TryAdd(rsId, vsId);
        return this;
    }

    /// <summary>Records the details of a backend (GET /service/{vs}/{rs}).</summary>
    public DaemonView WithBackend(string rsId, GorbBackendInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        _backends[rsId] = info;
        return this;
    }

    public void AddBackend(string vsId, string rsId, GorbBackendInfo? info)
    {
        _home[rsId] = vsId;
        if (info is not null) _backends[rsId] = info;
        if (_services.TryGetValue(vsId, out var service))
        {
            service.Backends ??= [];
            if (!service.Backends.Contains(rsId)) service.Backends.Add(rsId);
        }
    }

    public void RemoveBackend(string rsId)
    {
        if (_home.Remove(rsId, out var vsId) && _services.TryGetValue(vsId, out var service)) service.Backends?.Remove(rsId);
        _backends.Remove(rsId);
    }

    public void RemoveService(string vsId)
    {
        if (!_services.Remove(vsId, out var service)) return;
        foreach (var rsId in service.Backends ?? [])
        {
            _home.Remove(rsId);
            _backends.Remove(rsId);
        }
    }

    public void SetServiceOptions(string vsId, GorbServiceOptions options)
    {
        if (_services.TryGetValue(vsId, out var service)) service.Options = options;
    }

    public void SetBackendWeight(string rsId, int weight)
    {
        if (_backends.TryGetValue(rsId, out var info) && info.Options is { } options)
            _backends[rsId] = new GorbBackendInfo { Options = RemotePlanner.Copy(options, weight), Metrics = info.Metrics };
    }

    /// <summary>A deep copy, so that a plan's simulation never changes the view it was given.</summary>
    public DaemonView Clone()
    {
        var clone = new DaemonView();
        foreach (var (vsId, info) in _services)
            clone._services[vsId] = new GorbServiceInfo { Options = info.Options, Health = info.Health, Backends = [.. info.Backends ?? []] };
        foreach (var (rsId, vsId) in _home) clone._home[rsId] = vsId;
        foreach (var (rsId, info) in _backends) clone._backends[rsId] = info;
        return clone;
    }
}
