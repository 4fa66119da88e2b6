using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Containers;
using GorbLink.Ipvs;

namespace GorbLink.Core.Labels;

/// <summary>The second half of a read: the network (container mode), the ports, and one endpoint per port and binding.</summary>
internal sealed partial class LabelReader
{
    private LabelParseResult ReadEndpoints(Settings s, bool explicitlyEnrolled)
    {
        var hostNetwork = string.Equals(_c.NetworkMode, "host", StringComparison.Ordinal);
        ContainerNetwork? network = null;
        if (s.Backend == BackendMode.Published)
        {
            if (_values[NetworkIx] is not null) return Fail(NetworkIx, $"only used with {LabelName(ContainerLabels.Backend)}=container");
        }
        else if (ResolveNetwork(hostNetwork, out network) is { } networkError)
        {
            return networkError;
        }

        var index = ContainerPortIndex.For(_c);
        var ports = ImmutableArray.CreateBuilder<PortMapping>();
        var explicitPorts = _values[PortsIx] is not null;
        if (explicitPorts)
        {
            if (ExplicitPorts(s.Backend, hostNetwork, index, ports) is { } portsError) return portsError;
        }
        else
        {
            DefaultPorts(s.Backend, hostNetwork, index, ports);
            if (ports.Count == 0)
            {
                if (!explicitlyEnrolled) return LabelParseResult.Ignored;
                return Fail(hostNetwork
                    ? $"host network and no exposed ports; name the ports with {LabelName(ContainerLabels.Ports)}"
                    : s.Backend == BackendMode.Published
                        ? $"no published ports; publish a port (docker run -p) or set {LabelName(ContainerLabels.Backend)}=container"
                        : $"no exposed or published ports; name the ports with {LabelName(ContainerLabels.Ports)}");
            }
        }

        var endpoints = ImmutableArray.CreateBuilder<IntentEndpoint>(ports.Count);
        if (Endpoints(s, hostNetwork, network, explicitPorts, index, ports, endpoints) is { } endpointsError) return endpointsError;

        // dr and tunnel send packets on unchanged: the real server must listen on the virtual port.
        if (s.Forward != ForwardMethod.Nat)
        {
            foreach (var e in endpoints)
            {
                if (e.Destination.Port != e.Port.VirtualPort)
                    return Fail(ForwardIx,
                        $"{IpvsNames.Forward(s.Forward)} cannot change ports, but virtual port {e.Port.VirtualPort} " +
                        $"goes to {e.Destination}; use nat, or make the ports equal");
            }
        }

        return LabelParseResult.Of(new ContainerIntent
        {
            Container = _c,
            ServiceName = s.ServiceName,
            Vip = s.Vip,
            Ports = ports.DrainToImmutable(),
            ServiceSpec = s.Scheduler == ContainerLabels.DefaultScheduler && s.Flags == ServiceFlags.None && s.Persistence == 0
                ? VirtualServiceSpec.Default
                : new VirtualServiceSpec { Scheduler = s.Scheduler, Flags = s.Flags, PersistenceTimeout = s.Persistence },
            DestinationSpec = new DestinationSpec { Forward = s.Forward, Weight = s.Weight },
            Backend = s.Backend,
            Network = network?.Name,
            Endpoints = endpoints.DrainToImmutable(),
        });
    }

    private LabelParseResult? ResolveNetwork(bool hostNetwork, out ContainerNetwork? network)
    {
        network = null;
        if (hostNetwork)
            return Fail(BackendIx, "the container uses the host network and has no address of its own; use published");
        if (_c.NetworkMode.StartsWith("container:", StringComparison.Ordinal))
            return Fail(BackendIx, $"the container shares the network of {_c.NetworkMode}; label that container instead, or use published");
        if (_values[NetworkIx] is { } wanted)
        {
            var name = wanted.Trim();
            foreach (var n in _c.Networks)
            {
                if (string.Equals(n.Name, name, StringComparison.Ordinal)) { network = n; return null; }
            }
            return Fail(NetworkIx, $"the container is not on this network (networks: {NetworkList()})");
        }
        if (_c.Networks.Length == 1)
        {
            network = _c.Networks[0];
            return null;
        }
        return _c.Networks.Length == 0
            ? Fail(BackendIx, "the container is on no network")
            : Fail(BackendIx, $"the container is on several networks ({NetworkList()}); choose one with {LabelName(ContainerLabels.Network)}");
    }

    private LabelParseResult? ExplicitPorts(BackendMode backend, bool hostNetwork, ContainerPortIndex index, ImmutableArray<PortMapping>.Builder ports)
    {
        if (PortLists.Parse(_values[PortsIx]!, ports) is { } problem) return Fail(PortsIx, problem);
        if (hostNetwork) return null; // host network mode takes the ports as they are
        foreach (var p in ports)
        {
            var published = index.IsPublished(p.ContainerPort, p.Protocol);
            if (backend == BackendMode.Published && !published)
                return Fail(PortsIx, $"port {PortName(p)} is not published (published: {index.PublishedList()})");
            if (backend == BackendMode.Container && !published && !index.IsExposed(p.ContainerPort, p.Protocol))
                return Fail(PortsIx, $"port {PortName(p)} is neither exposed nor published (exposed: {index.ExposedList()})");
        }
        return null;
    }

    private static void DefaultPorts(BackendMode backend, bool hostNetwork, ContainerPortIndex index, ImmutableArray<PortMapping>.Builder ports)
    {
        var seen = new HashSet<(ushort Port, IpvsProtocol Protocol)>();
        if (hostNetwork || backend == BackendMode.Container)
        {
            foreach (var (port, protocol) in index.Exposed)
            {
                if (seen.Add((port, protocol))) ports.Add(new PortMapping(port, port, protocol));
            }
        }
        if (!hostNetwork)
        {
            foreach (var (port, protocol) in index.Published)
            {
                if (seen.Add((port, protocol))) ports.Add(new PortMapping(port, port, protocol));
            }
        }
        if (ports.Count > 1) ports.Sort(static (a, b) => a.ContainerPort != b.ContainerPort
            ? a.ContainerPort.CompareTo(b.ContainerPort)
            : ((ushort)a.Protocol).CompareTo((ushort)b.Protocol));
    }

    private LabelParseResult? Endpoints(
        Settings s, bool hostNetwork, ContainerNetwork? network, bool explicitPorts, ContainerPortIndex index,
        ImmutableArray<PortMapping>.Builder ports, ImmutableArray<IntentEndpoint>.Builder endpoints)
    {
        var family = s.Vip.AddressFamily;
        var destinationsOfPort = new HashSet<DestinationKey>();
        foreach (var p in ports)
        {
            var serviceKey = VirtualServiceKey.For(p.Protocol, s.Vip, p.VirtualPort);
            if (s.Backend == BackendMode.Container)
            {
                var address = family == AddressFamily.InterNetwork ? network!.IPv4Address : network!.IPv6Address;
                if (address is null && network.Name == "none")
                    return Fail(BackendIx, $"the container has no network (--network none), so no {FamilyName(family)} address for VIP {s.Vip}");
                if (address is null)
                    return FailForVip(s.Vip, $"network \"{network.Name}\" gives the container no {FamilyName(family)} address, needed for VIP {s.Vip}");
                endpoints.Add(new IntentEndpoint(serviceKey, new DestinationKey(address, p.ContainerPort), p));
            }
            else if (hostNetwork)
            {
                var address = _o.HostAddress(family);
                if (address is null)
                    return FailForVip(s.Vip, $"host network, and the interface has no {FamilyName(family)} address for VIP {s.Vip}");
                endpoints.Add(new IntentEndpoint(serviceKey, new DestinationKey(address, p.ContainerPort), p));
            }
            else
            {
                // Equal bindings (e.g. 0.0.0.0 and an explicit interface address) merge into one destination.
                destinationsOfPort.Clear();
                foreach (var binding in index.BindingsOf(p.ContainerPort, p.Protocol))
                {
                    var address = ContainerPortIndex.HostBindingAddress(binding.HostAddress, _o);
                    if (address is null || address.AddressFamily != family) continue;
                    var destination = new DestinationKey(address, binding.HostPort);
                    if (destinationsOfPort.Add(destination)) endpoints.Add(new IntentEndpoint(serviceKey, destination, p));
                }
                if (destinationsOfPort.Count == 0 && explicitPorts)
                    return Fail(PortsIx, $"port {PortName(p)} has no published binding usable for " +
                                         $"{FamilyName(family)} VIP {s.Vip} (published: {index.PublishedList()})");
            }
        }
        if (endpoints.Count == 0)
            return FailForVip(s.Vip, $"no published port has a binding usable for {FamilyName(family)} VIP {s.Vip} " +
                                     $"(published: {index.PublishedList()})");
        return null;
    }

    /// <summary>A problem caused by the VIP's address family: it names the vip label, or says the VIP is the default.</summary>
    private LabelParseResult FailForVip(IPAddress vip, string problem) => _values[VipIx] is not null
        ? Fail(VipIx, problem)
        : Fail($"{problem}; {vip} is the default VIP, set {LabelName(ContainerLabels.Vip)} to choose another");

    private string NetworkList() =>
        _c.Networks.IsEmpty ? "none" : string.Join(", ", _c.Networks.Select(n => n.Name).Order(StringComparer.Ordinal));

    private static string PortName(PortMapping p) => $"{p.ContainerPort}/{IpvsNames.Protocol(p.Protocol)}";

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}
