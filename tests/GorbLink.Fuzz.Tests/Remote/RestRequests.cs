using System.Text;
using System.Text.Json;
using CsCheck;
using GorbLink.Core.Desired;
using GorbLink.Fuzz.Tests.Support;

namespace GorbLink.Fuzz.Tests.Remote;

/// <summary>What goes wrong in the kernel while one request is served: nothing, or an injected failure of its pass.</summary>
public enum RestFault
{
    None,
    /// <summary>The batch fails as a whole with a netlink receive error, nothing applied.</summary>
    NetlinkFailure,
    /// <summary>The batch fails as a whole with a malformed reply, nothing applied.</summary>
    ProtocolFailure,
    /// <summary>The kernel refuses every write of the pass with EPERM.</summary>
    RefuseWrites,
}

/// <summary>One step of a fuzz sequence: an HTTP request to serve (Method "RESTART" restarts serve instead).</summary>
public sealed record RestRequest(string Method, string Path, byte[]? Body, RestFault Fault)
{
    public const string Restart = "RESTART";

    public override string ToString()
    {
        if (Method == Restart) return "(restart serve)";
        var fault = Fault == RestFault.None ? "" : $" [fault {Fault}]";
        var body = Body is null ? "" : " " + Encoding.UTF8.GetString(Body).Replace("\n", "\\n", StringComparison.Ordinal);
        return $"{Method} {Path}{fault}{body}";
    }
}

/// <summary>
/// Requests to serve's REST API: GORB's routes with IDs, bodies and pulse definitions drawn from pools of valid and
/// odd values (the address and weight forms issue 15 found accepted, invalid UTF-8, wrong types), and the requests of
/// corpus/rest mutated structurally. A host that is a DNS name would be resolved by serve, which is traffic off this
/// machine: such requests are replaced (<see cref="NeedsDns"/>).
/// </summary>
public static class RestRequests
{
    /// <summary>Replaced by two bytes that are not UTF-8 when the body is encoded.</summary>
    private const string BadUtf8 = "@@BAD-UTF8@@";

    private static readonly string[] ServiceIds = ["web", "web", "dns", "db", "web-80-tcp"];
    private static readonly string[] BackendIds = ["b1", "b2", "b3", "b4"];
    private static readonly string[] OddIds = ["%20", "a%2Fb", "..", "%C3%BC", "%00", "a.b", new string('v', 300), "%FF"];
    private static readonly string[] OddPaths = ["/", "/service/", "/nope", "//service", "/service/web/b1/extra", "/SERVICE", "/service/%ZZ", "/metrics/x", "/service?x=1"];
    private static readonly string[] Methods = ["GET", "PUT", "PATCH", "DELETE"];
    private static readonly string[] OddMethods = ["POST", "HEAD", "OPTIONS", "TRACE"];

    // Each field: values serve takes (drawn most of the time, so that state builds up), then values it must refuse.
    private static readonly Gen<string> ServiceHosts = Field(["\"10.1.0.1\"", "\"10.1.0.2\"", "\"2001:db8::10\"", "\"\"", "null"],
        ["\"0.0.0.0\"", "\"::\"", "\"255.255.255.255\"", "\"224.0.0.1\"", "\"ff02::1\"", "\"fe80::1%1\"", "\"10.1\"", "\"0x0a000001\"",
         "\"::ffff:10.1.0.3\"", "\"a b\"", "5", "true", "\"10.1.0.1 \""]);
    private static readonly Gen<string> BackendHosts = Field(["\"10.0.0.5\"", "\"10.0.0.6\"", "\"10.0.0.7\"", "\"2001:db8::5\""],
        ["\"\"", "null", "\"0.0.0.0\"", "\"255.255.255.255\"", "\"224.0.0.1\"", "\"fe80::1%1\"", "\"10.1\"", "\"0x0a000001\"", "\"::ffff:10.0.0.5\"", "\"a b\"", "7", "[]"]);
    private static readonly Gen<string> Ports = Field(["80", "443", "53", "8080"],
        ["0", "-1", "65535", "65536", "70000", "\"80\"", "null", "1e3", "9223372036854775808"]);
    private static readonly Gen<string> Protocols = Field(["\"tcp\"", "\"udp\""], ["\"TCP\"", "\"sctp\"", "\"\"", "null", "1"]);
    private static readonly Gen<string> Schedulers = Field(["\"rr\"", "\"wrr\"", "\"mh\"", "\"sh\""], ["\"lc\"", "\"nope\"", "\"\"", "null", "\"RR\""]);
    private static readonly Gen<string> Flags = Field(["\"\"", "\"sh-fallback\"", "\"mh-fallback|mh-port\""], ["\"bogus\"", "\"sh-port|sh-fallback\"", "\"one-packet\"", "null", "3"]);
    private static readonly Gen<string> Persistent = Field(["true", "false"], ["\"yes\"", "null"]);
    private static readonly Gen<string> Timeouts = Field(["1", "300", "86400"], ["0", "10000000000", "-5", "null"]);
    private static readonly Gen<string> Weights = Field(["0", "1", "100", "65535"], ["65536", "70000", "-1", "2147483648", "\"5\"", "null", "1.5"]);
    private static readonly Gen<string> Forwards = Field(["\"nat\"", "\"dr\"", "\"tunnel\""], ["\"ipip\"", "\"gre\"", "\"\"", "null", "\"NAT\""]);
    private static readonly Gen<string> Intervals = Field(["\"5s\"", "\"1m\""], ["\"0s\"", "\"-1s\"", "\"bogus\"", "\"\"", "null", "\"100000h\"", "5"]);
    private static readonly Gen<string> ArgValues = Field(["\"GET\"", "\"/health\"", "\"200\"", "200", "\"10.0.0.5\"", "\"[2001:db8::5]\"", "\"8080\""],
        ["600", "\"a b\"", "\"nopath\"", "\"70000\"", "null", "{}", "[]", "true", $"\"{BadUtf8}\"", "\"\\u0000\"", "\"G E T\"", "\"/%zz\""]);
    private static readonly string[] ArgNames = ["method", "path", "expect", "host", "port", "HOST", "other"];
    private static readonly Gen<string> PulseTypes = Field(["\"tcp\"", "\"http\"", "\"none\""], ["\"HTTP\"", "\"icmp\"", "\"\"", "null"]);

    private static Gen<string> Field(string[] good, string[] odd) => Gen.Frequency((6, Pick(good)), (1, Pick(odd)));

    private static readonly Gen<RestFault> Faults = Gen.Frequency(
        (22, Gen.Const(RestFault.None)), (1, Gen.Const(RestFault.NetlinkFailure)), (1, Gen.Const(RestFault.ProtocolFailure)), (1, Gen.Const(RestFault.RefuseWrites)));

    /// <summary>Sequences of 1 to 40 steps: structured requests, mutated corpus requests, now and then a restart, a few with a kernel fault.</summary>
    public static Gen<RestRequest[]> Sequences(string[] corpus) =>
        Gen.Select(Gen.Frequency((12, Structured), (6, Mutated(corpus)), (1, Gen.Const(new RestRequest(RestRequest.Restart, "", null, RestFault.None)))), Faults,
                (request, fault) => request.Method == RestRequest.Restart ? request : request with { Fault = fault })
            .Array[1, 40];

    private static Gen<string> Pick(string[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static Gen<string> Id(string[] pool) => Gen.Frequency((15, Pick(pool)), (1, Pick(OddIds)));

    private static readonly Gen<string> Paths = Gen.Frequency(
        (2, Gen.Const("/service")),
        (6, Id(ServiceIds).Select(vs => $"/service/{vs}")),
        (9, Gen.Select(Id(ServiceIds), Id(BackendIds)).Select(t => $"/service/{t.Item1}/{t.Item2}")),
        (1, Gen.Const("/metrics")),
        (1, Pick(OddPaths)));

    /// <summary>A JSON object with some of the given members, each a value from its generator.</summary>
    private static Gen<string> Object(params (string Name, Gen<string> Value)[] members) =>
        Gen.Select(Gen.Bool.Array[members.Length], Tables.All(members.Select(m => m.Value)))
            .Select(t => "{" + string.Join(",", members.Select((m, i) => (m, i)).Where(x => t.Item1[x.i] || x.m.Name is "host" or "port")
                .Select(x => $"\"{x.m.Name}\":{t.Item2[x.i]}")) + "}");

    private static readonly Gen<string> PulseArgs = Gen.Select(Pick(ArgNames), ArgValues).Array[0, 4]
        .Select(pairs => "{" + string.Join(",", pairs.Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}");

    private static readonly Gen<string> Pulses = Gen.Frequency(
        (6, Object(("type", PulseTypes), ("interval", Intervals), ("args", PulseArgs))),
        (1, Pick(["null", "\"tcp\"", "[]", "5"])));

    private static readonly Gen<string> ServiceBodies = Object(
        ("host", ServiceHosts), ("port", Ports), ("protocol", Protocols), ("method", Schedulers),
        ("flags", Flags), ("persistent", Persistent), ("persistence_timeout", Timeouts));

    private static readonly Gen<string> BackendBodies = Object(
        ("host", BackendHosts), ("port", Ports), ("weight", Weights), ("method", Forwards), ("pulse", Pulses));

    private static readonly Gen<string> OddBodies = Pick(["", "null", "[]", "{", "{\"port\":80,}", "\"text\"", "{\"port\":80}{}", "{\"port\":80,\"port\":443}", BadUtf8]);

    private static readonly Gen<RestRequest> Structured =
        Gen.Select(Gen.Frequency((9, Pick(Methods)), (3, Gen.Const("PUT")), (1, Pick(OddMethods))), Paths, Gen.Int[0, 19], ServiceBodies, BackendBodies, OddBodies)
            .Select(t =>
            {
                var (method, path, bodyKind, service, backend, odd) = t;
                var backendPath = path.Count(c => c == '/') >= 3;
                string? body = method is "PUT" or "PATCH" or "POST"
                    ? bodyKind == 0 ? odd : backendPath ? backend : service
                    : bodyKind == 0 ? odd : null;
                return new RestRequest(method, path, Encode(body), RestFault.None);
            });

    /// <summary>A corpus request (first line "METHOD PATH", a blank line, the body) with its body mutated structurally, or as it is.</summary>
    private static Gen<RestRequest> Mutated(string[] corpus) =>
        Gen.Select(Gen.Int[0, corpus.Length - 1], Gen.Int[0, 3], Gen.ULong).Select(t =>
        {
            var text = corpus[t.Item1];
            var split = text.IndexOf("\n\n", StringComparison.Ordinal);
            var head = (split < 0 ? text : text[..split]).Trim().Split(' ', 2);
            var body = split < 0 ? null : text[(split + 2)..].Trim();
            if (body is { Length: > 0 } && t.Item2 > 0) body = JsonMutator.Mutate(body, t.Item2, t.Item3);
            return new RestRequest(head[0], head.Length > 1 ? head[1] : "/", Encode(body is { Length: 0 } ? null : body), RestFault.None);
        });

    private static byte[]? Encode(string? body)
    {
        if (body is null) return null;
        var parts = body.Split(BadUtf8);
        var bytes = new List<byte>();
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0) bytes.AddRange([0xC3, 0x28]);
            bytes.AddRange(Encoding.UTF8.GetBytes(parts[i]));
        }
        return [.. bytes];
    }

    /// <summary>
    /// True when serve would resolve a "host" of this body through DNS (a name, not an address): the fuzz target then
    /// does not send it, since tests send traffic only on loopback. Conservative: every member named host, at any depth,
    /// in any case, counts.
    /// </summary>
    public static bool NeedsDns(byte[]? body)
    {
        if (body is null) return false;
        try
        {
            using var document = JsonDocument.Parse(body);
            return AnyDnsHost(document.RootElement);
        }
        catch (JsonException)
        {
            return false; // serve cannot read it either
        }
    }

    private static bool AnyDnsHost(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    if (string.Equals(member.Name, "host", StringComparison.OrdinalIgnoreCase) && member.Value.ValueKind == JsonValueKind.String && IsDnsName(member.Value)) return true;
                    if (AnyDnsHost(member.Value)) return true;
                }
                return false;
            case JsonValueKind.Array:
                return element.EnumerateArray().Any(AnyDnsHost);
            default:
                return false;
        }
    }

    private static bool IsDnsName(JsonElement value)
    {
        string host;
        try
        {
            host = value.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return host.Length > 0 && !EndpointRules.TryParseAddress(bare, out _) && !EndpointRules.LooksLikeAddress(bare) &&
            Uri.CheckHostName(bare) == UriHostNameType.Dns;
    }
}
