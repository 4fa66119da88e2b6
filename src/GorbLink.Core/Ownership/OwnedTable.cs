using GorbLink.Core.Desired;
using GorbLink.Ipvs;

namespace GorbLink.Core.Ownership;

/// <summary>
/// The IPVS entries GorbLink created: virtual services, and per service the destinations it added. Everything else in
/// the kernel belongs to someone else (ipvsadm, keepalived, kube-proxy) and is never changed. Immutable.
/// </summary>
public sealed class OwnedTable : IEquatable<OwnedTable>
{
    private readonly Dictionary<VirtualServiceKey, HashSet<DestinationKey>> _services;

    private OwnedTable(Dictionary<VirtualServiceKey, HashSet<DestinationKey>> services)
    {
        _services = services;
        foreach (var destinations in services.Values) DestinationCount += destinations.Count;
    }

    public static OwnedTable Empty { get; } = new([]);

    /// <summary>A table of these services and destinations; destinations of a service that is not listed are dropped.</summary>
    public static OwnedTable Create(IEnumerable<KeyValuePair<VirtualServiceKey, IEnumerable<DestinationKey>>> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var copy = new Dictionary<VirtualServiceKey, HashSet<DestinationKey>>();
        foreach (var (key, destinations) in services)
        {
            if (!copy.TryGetValue(key, out var set)) copy.Add(key, set = []);
            set.UnionWith(destinations);
        }
        return new OwnedTable(copy);
    }

    public int ServiceCount => _services.Count;
    public int DestinationCount { get; }
    public bool IsEmpty => _services.Count == 0;

    /// <summary>Owned services in <see cref="KeyOrder"/>.</summary>
    public IReadOnlyList<VirtualServiceKey> Services => [.. _services.Keys.Order(KeyOrder.Instance)];

    public bool Owns(VirtualServiceKey service) => _services.ContainsKey(service);

    public bool Owns(VirtualServiceKey service, DestinationKey destination) =>
        _services.TryGetValue(service, out var set) && set.Contains(destination);

    /// <summary>Owned destinations of <paramref name="service"/> in <see cref="KeyOrder"/>; empty when the service is not owned.</summary>
    public IReadOnlyList<DestinationKey> DestinationsOf(VirtualServiceKey service) =>
        _services.TryGetValue(service, out var set) ? [.. set.Order(KeyOrder.Instance)] : [];

    /// <summary>A mutable copy, for a reconcile pass to change and turn back into a table.</summary>
    internal Builder ToBuilder() => new(_services);

    public bool Equals(OwnedTable? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other._services.Count != _services.Count || other.DestinationCount != DestinationCount) return false;
        foreach (var (key, set) in _services)
        {
            if (!other._services.TryGetValue(key, out var theirs) || !set.SetEquals(theirs)) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as OwnedTable);

    public override int GetHashCode() => HashCode.Combine(_services.Count, DestinationCount);

    public override string ToString() => $"{ServiceCount} services, {DestinationCount} destinations";

    internal sealed class Builder
    {
        private readonly Dictionary<VirtualServiceKey, HashSet<DestinationKey>> _services;

        public Builder(Dictionary<VirtualServiceKey, HashSet<DestinationKey>> services)
        {
            _services = new Dictionary<VirtualServiceKey, HashSet<DestinationKey>>(services.Count);
            foreach (var (key, set) in services) _services.Add(key, [.. set]);
        }

        public IEnumerable<VirtualServiceKey> Services => _services.Keys;

        public bool Owns(VirtualServiceKey service) => _services.ContainsKey(service);

        public bool Owns(VirtualServiceKey service, DestinationKey destination) =>
            _services.TryGetValue(service, out var set) && set.Contains(destination);

        public IReadOnlyCollection<DestinationKey> DestinationsOf(VirtualServiceKey service) =>
            _services.TryGetValue(service, out var set) ? set : [];

        public void AddService(VirtualServiceKey service) => _services.TryAdd(service, []);

        /// <summary>Records a destination; ignored when its service is not owned (the whole service's destinations go with it).</summary>
        public void AddDestination(VirtualServiceKey service, DestinationKey destination)
        {
            if (_services.TryGetValue(service, out var set)) set.Add(destination);
        }

        public void RemoveService(VirtualServiceKey service) => _services.Remove(service);

        public void RemoveDestination(VirtualServiceKey service, DestinationKey destination)
        {
            if (_services.TryGetValue(service, out var set)) set.Remove(destination);
        }

        /// <summary>Removes the destinations of <paramref name="service"/> that <paramref name="remove"/> selects; returns how many.</summary>
        public int RemoveDestinationsWhere(VirtualServiceKey service, Func<DestinationKey, bool> remove) =>
            _services.TryGetValue(service, out var set) ? set.RemoveWhere(d => remove(d)) : 0;

        public OwnedTable ToTable()
        {
            var copy = new Dictionary<VirtualServiceKey, HashSet<DestinationKey>>(_services.Count);
            foreach (var (key, set) in _services) copy.Add(key, [.. set]);
            return new OwnedTable(copy);
        }
    }
}
