using System.Globalization;
using System.Net;
using System.Text.Json;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Server;

/// <summary>
/// GORB's ServiceOptions/BackendOptions.Validate, stricter: every refusal is a 400 naming the field. Addresses and
/// weights follow the same rules as the labels and state files (<see cref="EndpointRules"/>). Pure: no I/O.
/// </summary>
internal static class ServeValidation
{
    /// <summary>Validates service options into an entry.</summary>
    public static ServiceEntry BuildService(string vsId, GorbServiceOptions options, IPAddress address)
    {
        if (EndpointRules.NotUnicast(address) is { } notUnicast)
            throw GorbApiException.BadRequest($"host: {notUnicast}; a virtual service needs one");
        if (options.Port == 0) throw GorbApiException.BadRequest("port: endpoint information is missing (port must be 1..65535)");
        if (options.Port is < 0 or > ushort.MaxValue) throw GorbApiException.BadRequest($"port: {options.Port} is not 1..65535");
        var protocolText = string.IsNullOrEmpty(options.Protocol) ? "tcp" : options.Protocol.ToLowerInvariant();
        var protocol = protocolText switch
        {
            "tcp" => IpvsProtocol.Tcp,
            "udp" => IpvsProtocol.Udp,
            _ => throw GorbApiException.BadRequest($"protocol: specified protocol is unknown: \"{options.Protocol}\" (tcp or udp)"),
        };
        var scheduler = string.IsNullOrEmpty(options.Method) ? GorbWords.DefaultScheduler : options.Method.ToLowerInvariant();
        if (!IpvsNames.MainlineSchedulers.Contains(scheduler))
            throw GorbApiException.BadRequest($"method: unknown scheduler \"{options.Method}\" (known: {string.Join(", ", IpvsNames.MainlineSchedulers)})");
        if (!GorbWords.TryParseFlags(options.Flags, out var flags, out var unknown))
            throw GorbApiException.BadRequest($"flags: specified flag is unknown: \"{unknown}\" (known: sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3, one-packet)");
        uint timeout = 0;
        if (options.PersistenceTimeout is { } requested)
        {
            if (requested is < 1 or > ContainerLabels.MaxPersistence)
                throw GorbApiException.BadRequest($"persistence_timeout: {requested} is not 1..{ContainerLabels.MaxPersistence} seconds");
            timeout = (uint)requested;
        }
        else if (options.Persistent)
        {
            timeout = GorbWords.DefaultPersistenceTimeout;
        }
        var key = VirtualServiceKey.For(protocol, address, (ushort)options.Port);
        var spec = new VirtualServiceSpec { Scheduler = scheduler, Flags = flags, PersistenceTimeout = timeout };
        var echo = new GorbServiceOptions
        {
            Host = options.Host ?? "",
            Port = options.Port,
            Protocol = protocolText,
            Method = scheduler,
            Flags = options.Flags ?? "",
            Persistent = timeout > 0,
            PersistenceTimeout = timeout > 0 ? timeout : null,
        };
        return new ServiceEntry { Id = vsId, Options = echo, Service = new VirtualService(key, spec) };
    }

    /// <summary>
    /// Validates backend options; with a service, also the address family. A request's weight 0 or less means the
    /// default (GORB); a saved weight (<paramref name="savedWeight"/>) is taken as it is, 0 included (a drain).
    /// </summary>
    public static BackendEntry BuildBackend(string rsId, ServiceEntry? service, GorbBackendOptions options, IPAddress address, bool savedWeight = false)
    {
        if (EndpointRules.NotUnicast(address) is { } notUnicast) throw GorbApiException.BadRequest($"host: {notUnicast}");
        if (options.Port == 0) throw GorbApiException.BadRequest("port: endpoint information is missing (port must be 1..65535)");
        if (options.Port is < 0 or > ushort.MaxValue) throw GorbApiException.BadRequest($"port: {options.Port} is not 1..65535");
        if (EndpointRules.BadWeight(options.Weight) is { } badWeight && options.Weight > 0) throw GorbApiException.BadRequest($"weight: {badWeight}{WeightNote}");
        var weight = options.Weight <= 0 && !savedWeight ? GorbWords.DefaultWeight : (int)Math.Max(0, options.Weight);
        if (!GorbWords.TryParseForward(options.Method, out var forward))
            throw GorbApiException.BadRequest($"method: specified forwarding method is unknown: \"{options.Method}\" (nat, dr, tunnel or ipip)");
        var pulse = ParsePulse(options.Pulse);
        if (service is not null && address.AddressFamily != service.Service.Key.Family)
        {
            throw GorbApiException.BadRequest(
                $"host: incompatible address families: backend {address} is {Family(address)}, service {service.Id} ({service.Service.Key}) is {Family(service.Service.Key.Address!)}");
        }
        var destination = new Destination(new DestinationKey(address, (ushort)options.Port), new DestinationSpec { Weight = weight, Forward = forward });
        var echo = new GorbBackendOptions
        {
            Host = options.Host,
            Port = options.Port,
            Weight = weight,
            Method = string.IsNullOrEmpty(options.Method) ? "nat" : options.Method.ToLowerInvariant(),
            Pulse = new GorbPulseOptions
            {
                Type = pulse.Kind.ToString().ToLowerInvariant(),
                Interval = string.IsNullOrEmpty(options.Pulse?.Interval) ? GorbWords.DefaultInterval : options.Pulse.Interval,
                Args = options.Pulse?.Args,
            },
            VsId = service?.Id,
        };
        return new BackendEntry { Id = rsId, ServiceId = service?.Id ?? "", Options = echo, Destination = destination, Pulse = pulse };
    }

    /// <summary>The weight of PATCH /service/{vs}/{rs}: 0 is allowed (drain).</summary>
    public static int PatchedWeight(long weight) =>
        EndpointRules.BadWeight(weight) is { } bad ? throw GorbApiException.BadRequest($"weight: {bad}{WeightNote}") : (int)weight;

    private const string WeightNote = " (the kernel would take up to 2147483647; ipvsadm, the labels and the state files stop at 65535)";

    public static string Family(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static PulseSpec ParsePulse(GorbPulseOptions? options)
    {
        if (options is null) return PulseSpec.Default;
        var kind = (options.Type ?? "").ToLowerInvariant() switch
        {
            "" or "tcp" => PulseKind.Tcp,
            "http" => PulseKind.Http,
            "none" => PulseKind.None,
            _ => throw GorbApiException.BadRequest($"pulse.type: specified pulse type is unknown: \"{options.Type}\" (tcp, http or none)"),
        };
        if (!GorbWords.TryParseInterval(options.Interval, out var interval, out var problem))
            throw GorbApiException.BadRequest($"pulse.interval: {problem}");
        var args = options.Args;
        var method = ArgText(args, "method") ?? "GET";
        if (method.Length == 0 || !method.All(char.IsAsciiLetter))
            throw GorbApiException.BadRequest($"pulse.args.method: \"{method}\" is not an HTTP method");
        var path = ArgText(args, "path") ?? "/";
        if (!path.StartsWith('/')) throw GorbApiException.BadRequest($"pulse.args.path: \"{path}\" must start with /");
        if (!Uri.TryCreate("http://check" + path, UriKind.Absolute, out _))
            throw GorbApiException.BadRequest($"pulse.args.path: \"{path}\" is not a URL path");
        var expect = ArgNumber(args, "expect", 100, 599) ?? 200;
        var host = ArgText(args, "host");
        if (!string.IsNullOrEmpty(host) && !IsCheckHost(host))
            throw GorbApiException.BadRequest($"pulse.args.host: \"{host}\" is neither an IP address nor a DNS name");
        var port = ArgNumber(args, "port", 1, ushort.MaxValue);
        return new PulseSpec(kind, interval, method.ToUpperInvariant(), path, expect, string.IsNullOrEmpty(host) ? null : host, port);
    }

    /// <summary>A host the health check can put in an http:// URL: a strict address (IPv6 with or without brackets) or a DNS name.</summary>
    private static bool IsCheckHost(string host)
    {
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (EndpointRules.TryParseAddress(bare, out _)) return true;
        return !EndpointRules.LooksLikeAddress(bare) && Uri.CheckHostName(bare) == UriHostNameType.Dns;
    }

    private static string? ArgText(Dictionary<string, JsonElement>? args, string name)
    {
        if (args is null || !TryArg(args, name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => StringOf(value, name),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Null => null,
            _ => throw GorbApiException.BadRequest($"pulse.args.{name}: expected a string, got {value.ValueKind.ToString().ToLowerInvariant()}"),
        };
    }

    /// <summary>A number given as a JSON number or a string (GORB panics on numbers; both are fine here).</summary>
    private static int? ArgNumber(Dictionary<string, JsonElement>? args, string name, int min, int max)
    {
        if (args is null || !TryArg(args, name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        int number;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n)) number = n;
        else if (value.ValueKind == JsonValueKind.String && int.TryParse(StringOf(value, name), NumberStyles.None, CultureInfo.InvariantCulture, out var s)) number = s;
        else throw GorbApiException.BadRequest($"pulse.args.{name}: {value.GetRawText()} is not a whole number");
        if (number < min || number > max) throw GorbApiException.BadRequest($"pulse.args.{name}: {number} is not {min}..{max}");
        return number;
    }

    /// <summary>The string of a JSON string; a string that is not valid UTF-8 (GetString throws) is a 400.</summary>
    private static string StringOf(JsonElement value, string name)
    {
        try
        {
            return value.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            throw GorbApiException.BadRequest($"pulse.args.{name}: not valid UTF-8 text");
        }
    }

    private static bool TryArg(Dictionary<string, JsonElement> args, string name, out JsonElement value)
    {
        foreach (var (key, v) in args)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }
        value = default;
        return false;
    }
}
