using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;

namespace GorbLink.Core.StateFiles;

/// <summary>
/// Reads the state file of <c>gorblink ipvs apply FILE</c> into desired services. A file with any problem is rejected
/// as a whole, before anything is written, with every problem listed.
/// </summary>
/// <remarks>
/// Omitted fields take these defaults: scheduler "wrr"; flags none; persistence 0 (not persistent); netmask host
/// (/32 or /128); pe none; destinations none; family "inet" (fwmark services only); forward "nat"; weight 1;
/// upperThreshold and lowerThreshold 0 (no limit); tunnel "ipip"; tunnelPort 0; tunnelFlags none.
/// Ranges follow ipvsadm where it is stricter than the kernel: weight 0..65535, persistence 0..2678400 (31 days).
/// The file may contain comments and trailing commas; property names are case-sensitive.
/// </remarks>
public static class StateFileReader
{
    /// <summary>ipvsadm's limit; the kernel itself takes up to int.MaxValue.</summary>
    public const int MaxWeight = EndpointRules.MaxWeight;
    /// <summary>ipvsadm's limit for -p (31 days).</summary>
    public const long MaxPersistence = 31 * 86400;
    /// <summary>The kernel rejects thresholds above INT_MAX with EINVAL.</summary>
    public const long MaxThreshold = int.MaxValue;

    public static async Task<IReadOnlyList<DesiredService>> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateFileException(path, [e.Message]);
        }
        return Parse(json, path);
    }

    /// <param name="json">The state file's text.</param>
    /// <param name="sourceName">Where the text came from, for messages.</param>
    /// <exception cref="StateFileException">The text is not valid JSON or does not describe a valid IPVS table.</exception>
    public static IReadOnlyList<DesiredService> Parse(string json, string sourceName = "state file")
    {
        ArgumentNullException.ThrowIfNull(json);
        StateFileDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, StateFileJsonContext.Default.StateFileDocument);
        }
        catch (JsonException e)
        {
            throw new StateFileException(sourceName, [DescribeJsonError(e)]);
        }

        var errors = new List<string>();
        var services = new Validator(errors).Document(document);
        if (errors.Count > 0) throw new StateFileException(sourceName, errors);
        return services;
    }

    private static string DescribeJsonError(JsonException e)
    {
        var message = e.Message;
        var pathSuffix = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (pathSuffix >= 0) message = message[..pathSuffix];
        if (message.StartsWith("The JSON value could not be converted to ", StringComparison.Ordinal))
            message = "expected " + ExpectedKind(message);
        else if (message.StartsWith("Duplicate property '", StringComparison.Ordinal) && message.IndexOf('\'', 20) is var end and > 20)
            message = $"field \"{message[20..end]}\" appears twice";
        var where = e.LineNumber is { } line
            ? $" at line {line + 1}, position {e.BytePositionInLine + 1}"
            : "";
        var path = e.Path is { Length: > 1 } p ? $" ({p})" : "";
        return $"invalid JSON{where}{path}: {message}";
    }

    private static string ExpectedKind(string conversionMessage) => conversionMessage switch
    {
        _ when conversionMessage.Contains("UInt64", StringComparison.Ordinal) => "a non-negative integer",
        _ when conversionMessage.Contains("Int64", StringComparison.Ordinal) => "an integer",
        _ when conversionMessage.Contains("List", StringComparison.Ordinal) => "an array",
        _ when conversionMessage.Contains("String", StringComparison.Ordinal) => "a string",
        _ => "an object",
    };

    private static readonly string KnownSchedulers = $"{IpvsNames.KnownSchedulers}, {IpvsNames.NoScheduler}";

    private sealed class Validator(List<string> errors)
    {
        public List<DesiredService> Document(StateFileDocument? document)
        {
            var services = new List<DesiredService>();
            if (document is null)
            {
                errors.Add("the document must be an object with a \"services\" array");
                return services;
            }
            UnknownFields(document.UnknownFields, "the document", "services");
            if (document.Services is null)
            {
                errors.Add("field \"services\": required");
                return services;
            }

            var indexByKey = new Dictionary<VirtualServiceKey, int>();
            for (var i = 0; i < document.Services.Count; i++)
            {
                var entry = document.Services[i];
                if (entry is null)
                {
                    errors.Add($"services[{i}]: must be an object");
                    continue;
                }
                var where = $"services[{i}]{ServiceLabel(entry)}";
                var (key, service) = ParseService(entry, where);
                if (key is null) continue;
                if (indexByKey.TryGetValue(key.Value, out var first))
                    errors.Add($"{where}: duplicate service; services[{first}] is also {key}");
                else
                    indexByKey.Add(key.Value, i);
                if (service is not null) services.Add(service);
            }
            return services;
        }

        /// <returns>The service's key when it is valid (for finding duplicates), and the service when all of it is valid.</returns>
        private (VirtualServiceKey? Key, DesiredService? Service) ParseService(StateFileService entry, Where where)
        {
            var errorCount = errors.Count;
            UnknownFields(entry.UnknownFields, where,
                "protocol, address, port, fwmark, family, scheduler, flags, persistence, netmask, pe, destinations, stats");

            var persistence = Range(entry.Persistence, 0, MaxPersistence, where, "persistence") ?? 0;
            var key = ParseServiceKey(entry, where, persistence > 0);
            var family = key?.Family ?? FamilyHint(entry);

            var scheduler = entry.Scheduler ?? IpvsNames.DefaultScheduler;
            var knownScheduler = scheduler == IpvsNames.NoScheduler || IpvsNames.TryParseScheduler(scheduler, ignoreCase: false, out _);
            if (!knownScheduler)
                Fail(where, "scheduler", $"unknown scheduler \"{scheduler}\" (known: {KnownSchedulers})");

            var flags = ParseFlags(entry.Flags, knownScheduler ? scheduler : null, where);
            if (persistence > 0) flags |= ServiceFlags.Persistent;

            int? prefixLength = null;
            if (entry.Netmask is { } netmask && family is { } f)
            {
                if (Netmask.TryParse(netmask, f, out var parsed, out var problem))
                    prefixLength = parsed == IpvsNames.HostPrefixLength(f) ? null : parsed;
                else
                    Fail(where, "netmask", problem);
            }

            if (entry.Pe is { } pe && (pe.Length is 0 or > 15 || !pe.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
                Fail(where, "pe", $"\"{pe}\" is not a persistence engine name (1..15 letters, digits, '-' or '_'; e.g. \"sip\")");

            var destinations = new List<Destination>();
            if (key is { } serviceKey && entry.Destinations is { } entries)
            {
                var indexByKey = new Dictionary<DestinationKey, int>();
                for (var j = 0; j < entries.Count; j++)
                {
                    var destinationEntry = entries[j];
                    if (destinationEntry is null)
                    {
                        errors.Add($"{where} destinations[{j}]: must be an object");
                        continue;
                    }
                    var destinationWhere = new Where(where.ToString(), j, destinationEntry);
                    var (destinationKey, destination) = ParseDestination(destinationEntry, serviceKey, destinationWhere);
                    if (destinationKey is null) continue;
                    if (indexByKey.TryGetValue(destinationKey.Value, out var first))
                        errors.Add($"{destinationWhere}: duplicate destination; destinations[{first}] is also {destinationKey}");
                    else
                        indexByKey.Add(destinationKey.Value, j);
                    if (destination is not null) destinations.Add(destination);
                }
            }

            if (errors.Count > errorCount || key is null) return (key, null);
            var spec = new VirtualServiceSpec
            {
                Scheduler = scheduler,
                Flags = flags,
                PersistenceTimeout = (uint)persistence,
                NetmaskPrefixLength = prefixLength,
                PersistenceEngine = entry.Pe,
            };
            return (key, new DesiredService(new VirtualService(key.Value, spec), destinations));
        }

        private VirtualServiceKey? ParseServiceKey(StateFileService entry, Where where, bool persistent)
        {
            AddressFamily? family = null;
            if (entry.Family is { } familyText)
            {
                if (IpvsNames.TryParseFamily(familyText, out var parsed)) family = parsed;
                else Fail(where, "family", $"unknown family \"{familyText}\" (known: {IpvsNames.KnownFamilies})");
            }

            if (entry.Fwmark is { } fwmark)
            {
                if (entry.Protocol is not null) Fail(where, "protocol", "not allowed on a fwmark service");
                if (entry.Address is not null) Fail(where, "address", "not allowed on a fwmark service");
                if (entry.Port is not null) Fail(where, "port", "not allowed on a fwmark service");
                if (fwmark is < 1 or > uint.MaxValue)
                {
                    Fail(where, "fwmark", $"{fwmark} is out of range 1..{uint.MaxValue}");
                    return null;
                }
                if (entry.Family is not null && family is null) return null;
                return VirtualServiceKey.ForFirewallMark(family ?? AddressFamily.InterNetwork, (uint)fwmark);
            }

            IpvsProtocol? protocol = null;
            if (entry.Protocol is null) Fail(where, "protocol", "required (tcp, udp or sctp), or give \"fwmark\" instead");
            else if (IpvsNames.TryParseProtocol(entry.Protocol, out var parsedProtocol)) protocol = parsedProtocol;
            else Fail(where, "protocol", $"unknown protocol \"{entry.Protocol}\" (known: {IpvsNames.KnownProtocols})");

            var address = ParseAddress(entry.Address, where);
            if (address is not null && EndpointRules.NotUnicast(address) is not null)
                Fail(where, "address", $"{address} is not a unicast address; a virtual service needs one");
            if (address is not null && family is { } f && f != address.AddressFamily)
                Fail(where, "family", $"\"{entry.Family}\" does not match the {FamilyWord(address.AddressFamily)} address {address}");

            // ipvsadm accepts port 0 only for persistent services, where it means "all ports".
            var port = ParsePort(entry.Port, persistent ? 0 : 1, where, "port");

            if (protocol is null || address is null || port is null) return null;
            return VirtualServiceKey.For(protocol.Value, address, port.Value);
        }

        /// <param name="scheduler">The service's scheduler, or null when it is unknown and flags cannot be checked against it.</param>
        private ServiceFlags ParseFlags(List<string?>? words, string? scheduler, Where where)
        {
            var flags = ServiceFlags.None;
            foreach (var word in words ?? [])
            {
                if (!IpvsNames.TryParseFlag(word.AsSpan(), FlagWordSet.All, out var flag))
                {
                    Fail(where, "flags", $"unknown flag \"{word}\" (known: {IpvsNames.KnownFlags})");
                    continue;
                }
                if (flag.Scheduler is { } owner && scheduler is not null && owner != scheduler)
                    Fail(where, "flags", $"\"{word}\" only applies to the {owner} scheduler, not \"{scheduler}\"");
                flags |= flag.Flag;
            }
            return flags;
        }

        private (DestinationKey? Key, Destination? Destination) ParseDestination(StateFileDestination entry, VirtualServiceKey service, Where where)
        {
            var errorCount = errors.Count;
            UnknownFields(entry.UnknownFields, where,
                "address, port, forward, weight, upperThreshold, lowerThreshold, tunnel, tunnelPort, tunnelFlags, stats");

            var address = ParseAddress(entry.Address, where);
            if (address is not null && EndpointRules.NotUnicast(address) is not null)
                Fail(where, "address", $"{address} is not a unicast address");

            // A fwmark service, or a persistent service on port 0, forwards whatever port the packet had;
            // ipvsadm gives its destinations port 0.
            var anyPort = service.IsFirewallMark || service.Port == 0;
            var port = ParsePort(entry.Port, anyPort ? 0 : 1, where, "port");

            var forward = ForwardMethod.Nat;
            if (entry.Forward is { } forwardText && !IpvsNames.TryParseForward(forwardText, out forward))
                Fail(where, "forward", $"unknown forwarding method \"{forwardText}\" (known: {IpvsNames.KnownForwardMethods})");

            // The kernel refuses a destination of the other family unless it is reached through a tunnel (EINVAL).
            if (address is not null && address.AddressFamily != service.Family && forward != ForwardMethod.Tunnel)
                Fail(where, "address", $"{FamilyWord(address.AddressFamily)} address on an {FamilyWord(service.Family)} service needs \"forward\":\"tunnel\"");

            var weight = Range(entry.Weight, 0, MaxWeight, where, "weight") ?? 1;
            var upper = Range(entry.UpperThreshold, 0, MaxThreshold, where, "upperThreshold") ?? 0;
            var lower = Range(entry.LowerThreshold, 0, MaxThreshold, where, "lowerThreshold") ?? 0;
            // The kernel refuses l_thresh > u_thresh with ERANGE, even when u_thresh is 0 (no limit).
            if (lower > upper)
                Fail(where, "lowerThreshold", $"{lower} is above upperThreshold {upper}");

            var tunnel = TunnelType.Ipip;
            ushort tunnelPort = 0;
            var tunnelFlags = TunnelFlags.NoChecksum;
            if (forward != ForwardMethod.Tunnel)
            {
                if (entry.Tunnel is not null) Fail(where, "tunnel", "only applies to \"forward\":\"tunnel\"");
                if (entry.TunnelPort is not null) Fail(where, "tunnelPort", "only applies to \"forward\":\"tunnel\"");
                if (entry.TunnelFlags is not null) Fail(where, "tunnelFlags", "only applies to \"forward\":\"tunnel\"");
            }
            else
            {
                if (entry.Tunnel is { } tunnelText && !IpvsNames.TryParseTunnel(tunnelText, out tunnel))
                    Fail(where, "tunnel", $"unknown tunnel type \"{tunnelText}\" (known: {IpvsNames.KnownTunnelTypes})");
                if (tunnel == TunnelType.Gue)
                {
                    // The kernel refuses GUE with tun_port 0 (EINVAL).
                    if (entry.TunnelPort is null) Fail(where, "tunnelPort", "required for \"tunnel\":\"gue\" (the UDP port, 1..65535)");
                    else tunnelPort = ParsePort(entry.TunnelPort, 1, where, "tunnelPort") ?? 0;
                }
                else if (entry.TunnelPort is { } p && p != 0)
                    Fail(where, "tunnelPort", "only applies to \"tunnel\":\"gue\"");
                foreach (var word in entry.TunnelFlags ?? [])
                {
                    if (IpvsNames.TryParseTunnelFlag(word, out var flag)) tunnelFlags |= flag;
                    else Fail(where, "tunnelFlags", $"unknown tunnel flag \"{word}\" (known: {IpvsNames.KnownTunnelFlags})");
                }
            }

            if (address is null || port is null) return (null, null);
            var key = new DestinationKey(address, port.Value);
            if (errors.Count > errorCount) return (key, null);
            var spec = new DestinationSpec
            {
                Forward = forward,
                Weight = (int)weight,
                UpperThreshold = (uint)upper,
                LowerThreshold = (uint)lower,
                TunnelType = tunnel,
                TunnelPort = tunnelPort,
                TunnelFlags = tunnelFlags,
            };
            return (key, new Destination(key, spec));
        }

        private IPAddress? ParseAddress(string? text, Where where)
        {
            if (text is null)
            {
                Fail(where, "address", "required");
                return null;
            }
            if (EndpointRules.TryParseAddress(text, out var address)) return address;
            Fail(where, "address", $"\"{text}\" is not an IPv4 or IPv6 address");
            return null;
        }

        private ushort? ParsePort(long? value, int minimum, Where where, string field)
        {
            if (value is null)
            {
                Fail(where, field, "required");
                return null;
            }
            if (value < minimum || value > ushort.MaxValue)
            {
                Fail(where, field, $"{value} is out of range {minimum}..{ushort.MaxValue}");
                return null;
            }
            return (ushort)value.Value;
        }

        private long? Range(long? value, long minimum, long maximum, Where where, string field)
        {
            if (value is null || (value >= minimum && value <= maximum)) return value;
            Fail(where, field, $"{value} is out of range {minimum}..{maximum}");
            return null;
        }

        private void UnknownFields(Dictionary<string, JsonElement>? unknown, Where where, string known)
        {
            foreach (var name in unknown?.Keys ?? Enumerable.Empty<string>())
                errors.Add($"{where}: unknown field \"{name}\" (known: {known})");
        }

        private void Fail(Where where, string field, string message) => errors.Add($"{where}: field \"{field}\": {message}");
    }

    /// <summary>The family an entry means, so that its netmask can be checked even when its key is invalid.</summary>
    private static AddressFamily? FamilyHint(StateFileService entry) =>
        IpvsNames.TryParseFamily(entry.Family, out var family) ? family
        : entry.Fwmark is not null ? AddressFamily.InterNetwork
        : entry.Address is { } address ? (address.Contains(':') ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork)
        : null;

    private static string FamilyWord(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static string ServiceLabel(StateFileService entry)
    {
        if (entry.Fwmark is { } fwmark)
            return entry.Family is { } family ? $" (fwmark {fwmark} {family})" : $" (fwmark {fwmark})";
        if (entry.Protocol is null && entry.Address is null && entry.Port is null) return "";
        return $" ({entry.Protocol ?? "?"} {EndpointLabel(entry.Address, entry.Port)})";
    }

    /// <summary>
    /// Where an entry is, for messages: "services[3] (tcp 10.0.0.1:80) destinations[2] (10.1.0.1:8080)". A destination's
    /// is made into text only when a message needs it, so a valid file of 10,000 destinations builds none of them.
    /// </summary>
    private readonly struct Where(string service, int destination = -1, StateFileDestination? entry = null)
    {
        public static implicit operator Where(string service) => new(service);

        public override string ToString() =>
            destination < 0 || entry is null ? service : $"{service} destinations[{destination}]{DestinationLabel(entry)}";
    }

    private static string DestinationLabel(StateFileDestination entry) =>
        entry.Address is null && entry.Port is null ? "" : $" ({EndpointLabel(entry.Address, entry.Port)})";

    private static string EndpointLabel(string? address, long? port)
    {
        var host = address ?? "?";
        if (host.Contains(':')) host = $"[{host}]";
        return $"{host}:{port?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
    }
}
