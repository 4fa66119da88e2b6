using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Ipvs;

namespace GorbLink.Core.Labels;

/// <summary>
/// A container's exposed ports and usable published bindings, indexed by (container port, protocol) once per read,
/// so that checking and resolving n ports costs O(n), not O(n × bindings): `-p 1-65535` publishes 131070 bindings.
/// </summary>
internal sealed class ContainerPortIndex
{
    private readonly ContainerRecord _container;
    private readonly HashSet<(ushort Port, IpvsProtocol Protocol)> _exposed = [];
    private readonly List<(ushort Port, IpvsProtocol Protocol)> _exposedInOrder = [];
    private readonly Dictionary<(ushort Port, IpvsProtocol Protocol), List<PortBinding>> _published = [];
    private readonly List<(ushort Port, IpvsProtocol Protocol)> _publishedInOrder = [];

    private ContainerPortIndex(ContainerRecord container) => _container = container;

    public static ContainerPortIndex For(ContainerRecord container)
    {
        var index = new ContainerPortIndex(container);
        foreach (var text in container.ExposedPorts)
        {
            if (PortLists.TryParsePortProtocol(text, out var port, out var protocol) && index._exposed.Add((port, protocol)))
                index._exposedInOrder.Add((port, protocol));
        }
        foreach (var binding in container.PublishedPorts)
        {
            // Host port 0 is not a usable binding; neither is a protocol IPVS cannot balance.
            if (binding.HostPort == 0 || binding.ContainerPort == 0 || !IpvsNames.TryParseProtocol(binding.Protocol, out var protocol))
                continue;
            var key = (binding.ContainerPort, protocol);
            if (!index._published.TryGetValue(key, out var bindings))
            {
                index._published.Add(key, bindings = []);
                index._publishedInOrder.Add(key);
            }
            bindings.Add(binding);
        }
        return index;
    }

    /// <summary>Exposed (port, protocol) pairs, distinct, in the container's order.</summary>
    public IReadOnlyList<(ushort Port, IpvsProtocol Protocol)> Exposed => _exposedInOrder;

    /// <summary>Published (container port, protocol) pairs with at least one usable binding, distinct, in the container's order.</summary>
    public IReadOnlyList<(ushort Port, IpvsProtocol Protocol)> Published => _publishedInOrder;

    public bool IsExposed(ushort port, IpvsProtocol protocol) => _exposed.Contains((port, protocol));

    public bool IsPublished(ushort port, IpvsProtocol protocol) => _published.ContainsKey((port, protocol));

    /// <summary>The usable bindings of a container port, in the container's order; empty when it is not published.</summary>
    public IReadOnlyList<PortBinding> BindingsOf(ushort port, IpvsProtocol protocol) =>
        _published.TryGetValue((port, protocol), out var bindings) ? bindings : [];

    /// <summary>The published bindings as error messages list them: "host:port->cport/proto", distinct, or "none".</summary>
    public string PublishedList()
    {
        var items = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in _container.PublishedPorts)
        {
            if (b.HostPort == 0) continue;
            var item = $"{IpvsNames.Endpoint(b.HostAddress, b.HostPort)}->{b.ContainerPort}/{b.Protocol.ToLowerInvariant()}";
            if (seen.Add(item)) items.Add(item);
        }
        return items.Count == 0 ? "none" : string.Join(", ", items);
    }

    public string ExposedList() => _container.ExposedPorts.IsEmpty ? "none" : string.Join(", ", _container.ExposedPorts);

    /// <summary>The address a binding stands for: 0.0.0.0 and :: become the interface's address of that family (null: none).</summary>
    public static IPAddress? HostBindingAddress(IPAddress address, LabelOptions options)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.Equals(IPAddress.Any)) return options.HostAddress(System.Net.Sockets.AddressFamily.InterNetwork);
        if (address.Equals(IPAddress.IPv6Any)) return options.HostAddress(System.Net.Sockets.AddressFamily.InterNetworkV6);
        return address;
    }
}
