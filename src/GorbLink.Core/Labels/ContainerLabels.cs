using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Containers;
using GorbLink.Ipvs;

namespace GorbLink.Core.Labels;

/// <summary>
/// Reads a container's labels (prefix "gorb" by default) into a <see cref="ContainerIntent"/>, checked against the
/// container's ports and networks, or into one <see cref="LabelError"/>. Pure: same container and options, same result.
/// </summary>
/// <remarks>
/// Rules beyond the label table:
/// <list type="bullet">
/// <item>Label names are matched case-insensitively; an unknown name under the prefix (e.g. gorb.schedular) is an
/// error, with a suggestion, so a typo never silently falls back to a default. The same name in two spellings is an error.</item>
/// <item>enable takes true/false/1/0. A container counts as explicitly enrolled when it says enable=true or carries
/// any label under the prefix. With --expose-by-default, a container that is not explicitly enrolled and has no port
/// to offer is ignored rather than reported.</item>
/// <item>service: no spaces, quotes or control characters. Its default is "&lt;project&gt;-&lt;service&gt;" from the
/// compose labels, else the image repository (registry and path kept, tag and digest dropped), else, for an image
/// given by id, the container name.</item>
/// <item>vip: strict syntax (four dotted decimals, or IPv6 without zone); unspecified, broadcast and multicast refused.</item>
/// <item>Default ports: published mode takes every published container port; container mode every exposed or
/// published port; host network mode (published backend, address = the --interface address) every exposed port.
/// Explicit ports must be published (published mode) or exposed or published (container mode); host network mode
/// takes them as they are. A virtual port/protocol may appear once.</item>
/// <item>A binding on 0.0.0.0 stands for the interface's first IPv4 address and :: for its first non-link-local
/// IPv6 address (none: the binding is skipped); a binding feeds only a VIP of its own family; equal bindings merge.</item>
/// <item>network is only valid with backend=container; container mode refuses host and container:&lt;id&gt; network modes.</item>
/// <item>dr and tunnel forward packets unchanged, so the destination port must equal the virtual port.</item>
/// <item>persistence 0 means not persistent; at most 4294967 s (see <see cref="MaxPersistence"/>). Flags never set
/// <see cref="ServiceFlags.Persistent"/>: the timeout carries persistence.</item>
/// </list>
/// </remarks>
public static class ContainerLabels
{
    public const string Enable = "enable";
    public const string Service = "service";
    public const string Vip = "vip";
    public const string Ports = "ports";
    public const string Scheduler = "scheduler";
    public const string Forward = "forward";
    public const string Weight = "weight";
    public const string Persistence = "persistence";
    public const string Flags = "flags";
    public const string Backend = "backend";
    public const string Network = "network";

    /// <summary>Label names after the prefix, in the order they are checked.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [Enable, Service, Vip, Ports, Scheduler, Forward, Weight, Persistence, Flags, Backend, Network];

    public const string ComposeProjectLabel = "com.docker.compose.project";
    public const string ComposeServiceLabel = "com.docker.compose.service";

    public const string DefaultScheduler = "wrr";
    public const int DefaultWeight = 100;
    public const int MaxWeight = 65535;
    /// <summary>ip_vs_ctl.c stores the persistence timeout as timeout * HZ in an unsigned int; with HZ=1000 larger values wrap.</summary>
    public const uint MaxPersistence = uint.MaxValue / 1000;
    public const int MaxServiceNameLength = 255;

    private const int EnableIx = 0, ServiceIx = 1, VipIx = 2, PortsIx = 3, SchedulerIx = 4, ForwardIx = 5, WeightIx = 6,
        PersistenceIx = 7, FlagsIx = 8, BackendIx = 9, NetworkIx = 10, LabelCount = 11;

    private static readonly string KnownSchedulers = string.Join(", ", IpvsNames.MainlineSchedulers);

    /// <summary>Reads one container. Never throws for bad labels: they become <see cref="LabelParseResult.Error"/>.</summary>
    public static LabelParseResult Parse(ContainerRecord container, LabelOptions options)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(options);
        return new Reader(container, options).Read();
    }

    /// <summary>The full label name, e.g. "gorb.scheduler".</summary>
    public static string LabelName(LabelOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Prefix + "." + name;
    }

    /// <summary>Default service name: "&lt;project&gt;-&lt;service&gt;" from compose labels, else the image repository.</summary>
    public static string DefaultServiceName(ContainerRecord container)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (container.Labels.TryGetValue(ComposeProjectLabel, out var project) &&
            container.Labels.TryGetValue(ComposeServiceLabel, out var service) &&
            !string.IsNullOrWhiteSpace(project) && !string.IsNullOrWhiteSpace(service))
            return project.Trim() + "-" + service.Trim();
        return ImageRepository(container.Image) ?? container.Name;
    }

    /// <summary>
    /// The repository of an image reference, without tag and digest, keeping registry and path:
    /// "registry:5000/team/app:1.2@sha256:…" → "registry:5000/team/app". Null for an image id ("sha256:…") or nothing.
    /// </summary>
    public static string? ImageRepository(string? image)
    {
        if (string.IsNullOrWhiteSpace(image)) return null;
        var text = image.Trim();
        if (text.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase)) return null;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0) text = text[..at];
        var slash = text.LastIndexOf('/');
        var colon = text.LastIndexOf(':');
        if (colon > slash) text = text[..colon];
        return text.Length == 0 ? null : text;
    }

    private ref struct Reader
    {
        private readonly ContainerRecord _c;
        private readonly LabelOptions _o;
        private readonly string?[] _values;
        private readonly string?[] _keys;
        private AddressFamily _family;

        public Reader(ContainerRecord container, LabelOptions options)
        {
            _c = container;
            _o = options;
            _values = new string?[LabelCount];
            _keys = new string?[LabelCount];
        }

        private readonly string Key(int ix) => _keys[ix] ?? LabelName(_o, Names[ix]);

        private readonly LabelParseResult Fail(int ix, string problem) =>
            LabelParseResult.Of(LabelError.For(_c, Key(ix), _values[ix], problem));

        private readonly LabelParseResult Fail(string problem) => LabelParseResult.Of(LabelError.For(_c, null, null, problem));

        public LabelParseResult Read()
        {
            // One pass over the labels: pick ours, remember the first unknown and any name given twice.
            var prefix = _o.Prefix;
            string? unknownKey = null, duplicateKey = null;
            var anyOurs = false;
            foreach (var (key, value) in _c.Labels)
            {
                if (key.Length <= prefix.Length + 1 || key[prefix.Length] != '.' ||
                    !key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    continue;
                anyOurs = true;
                var name = key.AsSpan(prefix.Length + 1);
                var ix = -1;
                for (var i = 0; i < LabelCount; i++)
                {
                    if (name.Equals(Names[i], StringComparison.OrdinalIgnoreCase)) { ix = i; break; }
                }
                if (ix < 0)
                {
                    if (unknownKey is null || string.CompareOrdinal(key, unknownKey) < 0) unknownKey = key;
                    continue;
                }
                if (_keys[ix] is { } existing)
                {
                    // Same name in two spellings: keep the ordinally first, report the other; independent of label order.
                    string later;
                    if (string.CompareOrdinal(key, existing) < 0) { later = existing; _keys[ix] = key; _values[ix] = value; }
                    else later = key;
                    if (duplicateKey is null || string.CompareOrdinal(later, duplicateKey) < 0) duplicateKey = later;
                    continue;
                }
                _keys[ix] = key;
                _values[ix] = value;
            }

            // Opt-in. enable=false always opts out, whatever else the labels say.
            var explicitlyEnrolled = anyOurs;
            if (_values[EnableIx] is { } enableText)
            {
                if (!TryParseBool(enableText, out var enabled)) return Fail(EnableIx, "not a boolean (true or false)");
                if (!enabled) return LabelParseResult.Ignored;
            }
            else if (!_o.ExposeByDefault)
            {
                return LabelParseResult.Ignored;
            }

            if (unknownKey is not null)
            {
                var suggestion = Suggest(unknownKey.AsSpan(prefix.Length + 1));
                var options = _o;
                var known = string.Join(", ", Names.Select(n => LabelName(options, n)));
                return LabelParseResult.Of(LabelError.For(_c, unknownKey, _c.Labels[unknownKey],
                    suggestion is null
                        ? $"unknown label (known: {known})"
                        : $"unknown label; did you mean {LabelName(_o, suggestion)}? (known: {known})"));
            }
            if (duplicateKey is not null)
            {
                var ix = IndexOfName(duplicateKey.AsSpan(prefix.Length + 1));
                return LabelParseResult.Of(LabelError.For(_c, duplicateKey, _c.Labels[duplicateKey],
                    $"the same label as {_keys[ix]} (label names are case-insensitive); keep one"));
            }

            // Service name.
            string serviceName;
            if (_values[ServiceIx] is { } serviceText)
            {
                serviceName = serviceText.Trim();
                if (serviceName.Length == 0) return Fail(ServiceIx, "empty service name");
                if (serviceName.Length > MaxServiceNameLength) return Fail(ServiceIx, $"longer than {MaxServiceNameLength} characters");
                foreach (var ch in serviceName)
                {
                    if (char.IsWhiteSpace(ch) || char.IsControl(ch) || ch == '"')
                        return Fail(ServiceIx, "a service name must not contain spaces, quotes or control characters");
                }
            }
            else
            {
                serviceName = DefaultServiceName(_c);
            }

            // VIP.
            IPAddress vip;
            if (_values[VipIx] is { } vipText)
            {
                if (!TryParseAddress(vipText.Trim(), out vip)) return Fail(VipIx, "not an IPv4 or IPv6 address");
                if (vip.Equals(IPAddress.Any) || vip.Equals(IPAddress.IPv6Any) || vip.Equals(IPAddress.Broadcast) ||
                    IsMulticast(vip))
                    return Fail(VipIx, "not usable as a virtual IP (unspecified, broadcast or multicast)");
            }
            else if (_o.EffectiveDefaultVip is { } defaultVip)
            {
                vip = defaultVip.IsIPv4MappedToIPv6 ? defaultVip.MapToIPv4() : defaultVip;
            }
            else
            {
                return Fail($"no {LabelName(_o, Vip)} label, and the interface has no IPv4 address to use as the default VIP");
            }
            _family = vip.AddressFamily;

            // Scheduler.
            var scheduler = DefaultScheduler;
            if (_values[SchedulerIx] is { } schedulerText)
            {
                scheduler = KnownScheduler(schedulerText.Trim());
                if (scheduler is null) return Fail(SchedulerIx, $"unknown scheduler (known: {KnownSchedulers})");
            }

            // Flags: sh-* only with sh, mh-* only with mh.
            var flags = ServiceFlags.None;
            if (_values[FlagsIx] is { } flagsText)
            {
                var result = ParseFlags(flagsText, scheduler, ref flags);
                if (result is { } flagsError) return Fail(FlagsIx, flagsError);
            }

            // Persistence.
            uint persistence = 0;
            if (_values[PersistenceIx] is { } persistenceText)
            {
                if (!TryParseDigits(persistenceText.Trim(), out var seconds))
                    return Fail(PersistenceIx, "not a number of seconds");
                if (seconds > MaxPersistence)
                    return Fail(PersistenceIx, $"out of range 0..{MaxPersistence} seconds (0 means not persistent)");
                persistence = (uint)seconds;
            }

            // Forward.
            var forward = ForwardMethod.Nat;
            if (_values[ForwardIx] is { } forwardText && !TryParseForward(forwardText.Trim(), out forward))
                return Fail(ForwardIx, "unknown forwarding method (known: nat, dr, tunnel)");

            // Weight.
            var weight = DefaultWeight;
            if (_values[WeightIx] is { } weightText)
            {
                if (!TryParseDigits(weightText.Trim(), out var w)) return Fail(WeightIx, "not a number (0..65535)");
                if (w > MaxWeight) return Fail(WeightIx, "out of range 0..65535");
                weight = (int)w;
            }

            // Backend mode.
            var backend = BackendMode.Published;
            if (_values[BackendIx] is { } backendText)
            {
                var b = backendText.Trim();
                if (b.Equals("published", StringComparison.OrdinalIgnoreCase)) backend = BackendMode.Published;
                else if (b.Equals("container", StringComparison.OrdinalIgnoreCase)) backend = BackendMode.Container;
                else return Fail(BackendIx, "unknown backend mode (known: published, container)");
            }

            // Network (container mode only).
            var hostNetwork = string.Equals(_c.NetworkMode, "host", StringComparison.Ordinal);
            ContainerNetwork? network = null;
            if (backend == BackendMode.Published)
            {
                if (_values[NetworkIx] is not null)
                    return Fail(NetworkIx, $"only used with {LabelName(_o, Backend)}=container");
            }
            else
            {
                var networkError = ResolveNetwork(hostNetwork, out network);
                if (networkError.Error is not null) return networkError;
            }

            // Ports.
            var ports = ImmutableArray.CreateBuilder<PortMapping>();
            var explicitPorts = _values[PortsIx] is not null;
            if (explicitPorts)
            {
                var portsError = ParsePortList(_values[PortsIx]!, ports);
                if (portsError is { } pe) return Fail(PortsIx, pe);
                if (!hostNetwork)
                {
                    foreach (var p in ports)
                    {
                        if (backend == BackendMode.Published && !IsPublished(p.ContainerPort, p.Protocol))
                            return Fail(PortsIx, $"port {PortName(p)} is not published (published: {PublishedList()})");
                        if (backend == BackendMode.Container && !IsExposed(p.ContainerPort, p.Protocol) &&
                            !IsPublished(p.ContainerPort, p.Protocol))
                            return Fail(PortsIx, $"port {PortName(p)} is neither exposed nor published (exposed: {ExposedList()})");
                    }
                }
            }
            else
            {
                DefaultPorts(backend, hostNetwork, ports);
                if (ports.Count == 0)
                {
                    if (!explicitlyEnrolled) return LabelParseResult.Ignored;
                    return Fail(hostNetwork
                        ? $"host network and no exposed ports; name the ports with {LabelName(_o, Ports)}"
                        : backend == BackendMode.Published
                            ? $"no published ports; publish a port (docker run -p) or set {LabelName(_o, Backend)}=container"
                            : $"no exposed or published ports; name the ports with {LabelName(_o, Ports)}");
                }
            }

            // Endpoints.
            var endpoints = ImmutableArray.CreateBuilder<IntentEndpoint>(ports.Count);
            foreach (var p in ports)
            {
                var serviceKey = VirtualServiceKey.For(p.Protocol, vip, p.VirtualPort);
                var before = endpoints.Count;
                if (backend == BackendMode.Container)
                {
                    var address = _family == AddressFamily.InterNetwork ? network!.IPv4Address : network!.IPv6Address;
                    if (address is null)
                        return Fail(network.Name == "none"
                            ? $"the container has no network (--network none), so no {FamilyName(_family)} address for VIP {vip}"
                            : $"network \"{network.Name}\" gives the container no {FamilyName(_family)} address, needed for VIP {vip}");
                    endpoints.Add(new IntentEndpoint(serviceKey, new DestinationKey(address, p.ContainerPort), p));
                }
                else if (hostNetwork)
                {
                    var address = _o.HostAddress(_family);
                    if (address is null)
                        return Fail($"host network, and the interface has no {FamilyName(_family)} address for VIP {vip}");
                    endpoints.Add(new IntentEndpoint(serviceKey, new DestinationKey(address, p.ContainerPort), p));
                }
                else
                {
                    foreach (var binding in _c.PublishedPorts)
                    {
                        if (binding.ContainerPort != p.ContainerPort || binding.HostPort == 0 ||
                            !ProtocolIs(binding.Protocol, p.Protocol))
                            continue;
                        var address = HostBindingAddress(binding.HostAddress);
                        if (address is null || address.AddressFamily != _family) continue;
                        var destination = new DestinationKey(address, binding.HostPort);
                        var duplicate = false;
                        for (var i = before; i < endpoints.Count; i++)
                        {
                            if (endpoints[i].Destination == destination) { duplicate = true; break; }
                        }
                        if (!duplicate) endpoints.Add(new IntentEndpoint(serviceKey, destination, p));
                    }
                    if (endpoints.Count == before && explicitPorts)
                        return Fail(PortsIx, $"port {PortName(p)} has no published binding usable for " +
                                             $"{FamilyName(_family)} VIP {vip} (published: {PublishedList()})");
                }
            }
            if (endpoints.Count == 0)
                return Fail($"no published port has a binding usable for {FamilyName(_family)} VIP {vip} " +
                            $"(published: {PublishedList()})");

            // dr and tunnel send packets on unchanged: the real server must listen on the virtual port.
            if (forward != ForwardMethod.Nat)
            {
                foreach (var e in endpoints)
                {
                    if (e.Destination.Port != e.Port.VirtualPort)
                        return Fail(ForwardIx,
                            $"{IpvsNames.Forward(forward)} cannot change ports, but virtual port {e.Port.VirtualPort} " +
                            $"goes to {e.Destination}; use nat, or make the ports equal");
                }
            }

            return LabelParseResult.Of(new ContainerIntent
            {
                Container = _c,
                ServiceName = serviceName,
                Vip = vip,
                Ports = ports.DrainToImmutable(),
                ServiceSpec = scheduler == DefaultScheduler && flags == ServiceFlags.None && persistence == 0
                    ? VirtualServiceSpec.Default
                    : new VirtualServiceSpec { Scheduler = scheduler, Flags = flags, PersistenceTimeout = persistence },
                DestinationSpec = new DestinationSpec { Forward = forward, Weight = weight },
                Backend = backend,
                Network = network?.Name,
                Endpoints = endpoints.DrainToImmutable(),
            });
        }

        private readonly LabelParseResult ResolveNetwork(bool hostNetwork, out ContainerNetwork? network)
        {
            network = null;
            var backendLabel = LabelName(_o, Backend);
            if (hostNetwork)
                return Fail(BackendIx, "the container uses the host network and has no address of its own; use published");
            if (_c.NetworkMode.StartsWith("container:", StringComparison.Ordinal))
                return Fail(BackendIx, $"the container shares the network of {_c.NetworkMode}; label that container instead, or use published");
            if (_values[NetworkIx] is { } wanted)
            {
                var name = wanted.Trim();
                foreach (var n in _c.Networks)
                {
                    if (string.Equals(n.Name, name, StringComparison.Ordinal)) { network = n; return default; }
                }
                return Fail(NetworkIx, $"the container is not on this network (networks: {NetworkList()})");
            }
            if (_c.Networks.Length == 1)
            {
                network = _c.Networks[0];
                return default;
            }
            return _c.Networks.Length == 0
                ? Fail($"{backendLabel}=container, but the container is on no network")
                : Fail($"{backendLabel}=container, and the container is on several networks ({NetworkList()}); " +
                       $"choose one with {LabelName(_o, Network)}");
        }

        private readonly void DefaultPorts(BackendMode backend, bool hostNetwork, ImmutableArray<PortMapping>.Builder ports)
        {
            if (hostNetwork || backend == BackendMode.Container)
            {
                foreach (var text in _c.ExposedPorts)
                {
                    if (TryParsePortProtocol(text, out var port, out var protocol)) AddDistinct(ports, new PortMapping(port, port, protocol));
                }
            }
            if (!hostNetwork)
            {
                foreach (var b in _c.PublishedPorts)
                {
                    if (b.HostPort == 0 || b.ContainerPort == 0 || !IpvsNames.TryParseProtocol(b.Protocol, out var protocol)) continue;
                    AddDistinct(ports, new PortMapping(b.ContainerPort, b.ContainerPort, protocol));
                }
            }
            if (ports.Count > 1) ports.Sort(static (a, b) => a.ContainerPort != b.ContainerPort
                ? a.ContainerPort.CompareTo(b.ContainerPort)
                : ((ushort)a.Protocol).CompareTo((ushort)b.Protocol));
        }

        private static void AddDistinct(ImmutableArray<PortMapping>.Builder ports, PortMapping mapping)
        {
            foreach (var p in ports)
            {
                if (p == mapping) return;
            }
            ports.Add(mapping);
        }

        private readonly IPAddress? HostBindingAddress(IPAddress address)
        {
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            if (address.Equals(IPAddress.Any)) return _o.HostAddress(AddressFamily.InterNetwork);
            if (address.Equals(IPAddress.IPv6Any)) return _o.HostAddress(AddressFamily.InterNetworkV6);
            return address;
        }

        private readonly bool IsPublished(ushort port, IpvsProtocol protocol)
        {
            foreach (var b in _c.PublishedPorts)
            {
                if (b.ContainerPort == port && b.HostPort != 0 && ProtocolIs(b.Protocol, protocol)) return true;
            }
            return false;
        }

        private readonly bool IsExposed(ushort port, IpvsProtocol protocol)
        {
            foreach (var text in _c.ExposedPorts)
            {
                if (TryParsePortProtocol(text, out var p, out var proto) && p == port && proto == protocol) return true;
            }
            return false;
        }

        private readonly string PublishedList()
        {
            if (_c.PublishedPorts.IsEmpty) return "none";
            var items = new List<string>();
            foreach (var b in _c.PublishedPorts)
            {
                if (b.HostPort == 0) continue;
                var item = $"{IpvsNames.Endpoint(b.HostAddress, b.HostPort)}->{b.ContainerPort}/{b.Protocol.ToLowerInvariant()}";
                if (!items.Contains(item)) items.Add(item);
            }
            return items.Count == 0 ? "none" : string.Join(", ", items);
        }

        private readonly string ExposedList() => _c.ExposedPorts.IsEmpty ? "none" : string.Join(", ", _c.ExposedPorts);

        private readonly string NetworkList() =>
            _c.Networks.IsEmpty ? "none" : string.Join(", ", _c.Networks.Select(n => n.Name).Order(StringComparer.Ordinal));
    }

    private static string PortName(PortMapping p) => $"{p.ContainerPort}/{IpvsNames.Protocol(p.Protocol)}";

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static bool ProtocolIs(string text, IpvsProtocol protocol) =>
        IpvsNames.TryParseProtocol(text, out var p) && p == protocol;

    private static bool IsMulticast(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? address.IsIPv6Multicast
        : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private static int IndexOfName(ReadOnlySpan<char> name)
    {
        for (var i = 0; i < LabelCount; i++)
        {
            if (name.Equals(Names[i], StringComparison.OrdinalIgnoreCase)) return i;
        }
        return -1;
    }

    private static string? KnownScheduler(string text)
    {
        foreach (var s in IpvsNames.MainlineSchedulers)
        {
            if (s.Equals(text, StringComparison.OrdinalIgnoreCase)) return s;
        }
        return null;
    }

    private static bool TryParseBool(string text, out bool value)
    {
        var t = text.Trim();
        if (t.Equals("true", StringComparison.OrdinalIgnoreCase) || t == "1") { value = true; return true; }
        if (t.Equals("false", StringComparison.OrdinalIgnoreCase) || t == "0") { value = false; return true; }
        value = false;
        return false;
    }

    private static bool TryParseForward(string text, out ForwardMethod method)
    {
        // Only the three methods of the label table (and their ipvsadm spellings); local and bypass are kernel-only.
        if (IpvsNames.TryParseForward(text, out method)) return true;
        method = ForwardMethod.Nat;
        return false;
    }

    /// <summary>Plain decimal digits only: no sign, no spaces, no hex. Too many digits saturate, so they read as out of range.</summary>
    private static bool TryParseDigits(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty) return false;
        foreach (var ch in text)
        {
            if (ch is < '0' or > '9') return false;
            value = value > (ulong.MaxValue - 9) / 10 ? ulong.MaxValue : value * 10 + (ulong)(ch - '0');
        }
        return true;
    }

    /// <summary>Strict address syntax: IPv4 only as four dotted decimals (IPAddress.Parse takes "10" as 0.0.0.10); no IPv6 zone.</summary>
    private static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Length == 0) return false;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            if (text.Contains('%', StringComparison.Ordinal) || text.Contains('[', StringComparison.Ordinal)) return false;
            if (!IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return false;
            address = v6.IsIPv4MappedToIPv6 ? v6.MapToIPv4() : v6;
            return true;
        }
        var parts = 0;
        foreach (var range in text.AsSpan().Split('.'))
        {
            var part = text.AsSpan()[range];
            parts++;
            if (part.IsEmpty || part.Length > 3 || (part.Length > 1 && part[0] == '0')) return false;
            if (!TryParseDigits(part, out var octet) || octet > 255) return false;
        }
        if (parts != 4 || !IPAddress.TryParse(text, out var v4)) return false;
        address = v4;
        return true;
    }

    private static bool TryParsePortProtocol(string text, out ushort port, out IpvsProtocol protocol)
    {
        var span = text.AsSpan().Trim();
        protocol = IpvsProtocol.Tcp;
        port = 0;
        var slash = span.IndexOf('/');
        if (slash >= 0)
        {
            if (!IpvsNames.TryParseProtocol(span[(slash + 1)..].ToString(), out protocol)) return false;
            span = span[..slash];
        }
        if (!TryParseDigits(span, out var value) || value is 0 or > ushort.MaxValue) return false;
        port = (ushort)value;
        return true;
    }

    /// <summary>"[vport:]cport[/proto]" items separated by commas.</summary>
    private static string? ParsePortList(string text, ImmutableArray<PortMapping>.Builder ports)
    {
        if (text.Trim().Length == 0) return "empty port list; expected [vport:]cport[/proto] items, e.g. 8080:80/tcp,53/udp";
        foreach (var range in text.AsSpan().Split(','))
        {
            var item = text.AsSpan()[range].Trim();
            if (item.IsEmpty) return "empty item; expected [vport:]cport[/proto] items separated by commas";
            var protocol = IpvsProtocol.Tcp;
            var slash = item.IndexOf('/');
            var numbers = item;
            if (slash >= 0)
            {
                var protoText = item[(slash + 1)..].Trim().ToString();
                if (!IpvsNames.TryParseProtocol(protoText, out protocol))
                    return $"item \"{item}\": unknown protocol \"{protoText}\" (known: tcp, udp, sctp)";
                numbers = item[..slash].Trim();
            }
            var colon = numbers.IndexOf(':');
            var vText = colon >= 0 ? numbers[..colon].Trim() : numbers;
            var cText = colon >= 0 ? numbers[(colon + 1)..].Trim() : numbers;
            if (!TryParseDigits(vText, out var vport) || !TryParseDigits(cText, out var cport))
                return $"item \"{item}\" is not [vport:]cport[/proto]";
            if (vport is 0 or > ushort.MaxValue || cport is 0 or > ushort.MaxValue)
                return $"item \"{item}\": ports must be 1..65535";
            var mapping = new PortMapping((ushort)vport, (ushort)cport, protocol);
            foreach (var p in ports)
            {
                if (p.VirtualPort == mapping.VirtualPort && p.Protocol == mapping.Protocol)
                    return $"virtual port {mapping.VirtualPort}/{IpvsNames.Protocol(protocol)} is listed twice";
            }
            ports.Add(mapping);
        }
        return null;
    }

    private static string? ParseFlags(string text, string scheduler, ref ServiceFlags flags)
    {
        foreach (var range in text.AsSpan().Split(','))
        {
            var word = text.AsSpan()[range].Trim();
            if (word.IsEmpty) return "empty item; expected flags separated by commas (sh-port, sh-fallback, mh-port, mh-fallback, one-packet)";
            ServiceFlags flag;
            string? needs = null;
            if (word.Equals("one-packet", StringComparison.OrdinalIgnoreCase)) flag = ServiceFlags.OnePacket;
            else if (word.Equals("sh-port", StringComparison.OrdinalIgnoreCase)) { flag = ServiceFlags.Sched2; needs = "sh"; }
            else if (word.Equals("sh-fallback", StringComparison.OrdinalIgnoreCase)) { flag = ServiceFlags.Sched1; needs = "sh"; }
            else if (word.Equals("mh-port", StringComparison.OrdinalIgnoreCase)) { flag = ServiceFlags.Sched2; needs = "mh"; }
            else if (word.Equals("mh-fallback", StringComparison.OrdinalIgnoreCase)) { flag = ServiceFlags.Sched1; needs = "mh"; }
            else return $"unknown flag \"{word}\" (known: sh-port, sh-fallback, mh-port, mh-fallback, one-packet)";
            if (needs is not null && scheduler != needs)
                return $"flag {word.ToString().ToLowerInvariant()} needs scheduler {needs}, but the scheduler is {scheduler}";
            flags |= flag;
        }
        return null;
    }

    /// <summary>The known label name closest to a misspelt one (edit distance at most 2), or null.</summary>
    private static string? Suggest(ReadOnlySpan<char> name)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var known in Names)
        {
            var d = EditDistance(name, known);
            if (d < bestDistance) { bestDistance = d; best = known; }
        }
        return best;
    }

    private static int EditDistance(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        Span<int> previous = stackalloc int[b.Length + 1];
        Span<int> current = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            current.CopyTo(previous);
        }
        return previous[b.Length];
    }
}
