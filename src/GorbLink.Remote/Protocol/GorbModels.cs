using System.Text.Json;
using System.Text.Json.Serialization;

namespace GorbLink.Remote.Protocol;

// The JSON bodies of GORB's REST API (kobolog/gorb core/options.go, pulse/options.go, core/context.go), field for field.
// Go's encoding/json matches field names case-insensitively and ignores unknown fields; so does GorbJsonContext.

/// <summary>Body of PUT /service/{vsID}, and "options" of GET /service/{vsID}.</summary>
public sealed class GorbServiceOptions
{
    /// <summary>IP or DNS name; empty means the daemon's default address (first IP of its -i interface).</summary>
    [JsonPropertyName("host")] public string? Host { get; set; }
    /// <summary>GORB's field is a uint16; it is read wider here so that 0 and 70000 get a message naming the field.</summary>
    [JsonPropertyName("port")] public long Port { get; set; }
    /// <summary>tcp (default) or udp, case-insensitive.</summary>
    [JsonPropertyName("protocol")] public string? Protocol { get; set; }
    /// <summary>IPVS scheduler name; default wrr.</summary>
    [JsonPropertyName("method")] public string? Method { get; set; }
    /// <summary>'|'-separated: sh-fallback, sh-port, flag-1, flag-2, flag-3.</summary>
    [JsonPropertyName("flags")] public string? Flags { get; set; }
    /// <summary>GORB parses this and never applies it; gorblink serve applies it (timeout <see cref="PersistenceTimeout"/> or 300 s).</summary>
    [JsonPropertyName("persistent")] public bool Persistent { get; set; }
    /// <summary>GorbLink extension: persistence timeout in seconds. GORB ignores unknown fields, so sending it is harmless.</summary>
    [JsonPropertyName("persistence_timeout")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? PersistenceTimeout { get; set; }
}

/// <summary>Body of PATCH /service/{vsID} (a GorbLink/sky-uk extension): only the fields present change.</summary>
public sealed class GorbServicePatch
{
    [JsonPropertyName("host")] public string? Host { get; set; }
    [JsonPropertyName("port")] public long? Port { get; set; }
    [JsonPropertyName("protocol")] public string? Protocol { get; set; }
    [JsonPropertyName("method")] public string? Method { get; set; }
    [JsonPropertyName("flags")] public string? Flags { get; set; }
    [JsonPropertyName("persistent")] public bool? Persistent { get; set; }
    [JsonPropertyName("persistence_timeout")] public long? PersistenceTimeout { get; set; }
}

/// <summary>Body of PUT and PATCH /service/{vsID}/{rsID}, and "options" of GET /service/{vsID}/{rsID}.</summary>
public sealed class GorbBackendOptions
{
    [JsonPropertyName("host")] public string? Host { get; set; }
    [JsonPropertyName("port")] public long Port { get; set; }
    /// <summary>&lt;= 0 means the default, 100 (on create; PATCH applies it as it is).</summary>
    [JsonPropertyName("weight")] public long Weight { get; set; }
    /// <summary>Forwarding method: nat (default), dr, tunnel or ipip.</summary>
    [JsonPropertyName("method")] public string? Method { get; set; }
    /// <summary>null means the default: a TCP check every minute.</summary>
    [JsonPropertyName("pulse")] public GorbPulseOptions? Pulse { get; set; }
    [JsonPropertyName("vsid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? VsId { get; set; }
}

/// <summary>Health check of a backend.</summary>
public sealed class GorbPulseOptions
{
    /// <summary>tcp (default), http or none.</summary>
    [JsonPropertyName("type")] public string? Type { get; set; }
    /// <summary>e.g. "1m", "30s", "2h"; default 1m.</summary>
    [JsonPropertyName("interval")] public string? Interval { get; set; }
    /// <summary>
    /// HTTP check arguments: method, path, expect, host, port. GORB's handler panics on numbers here, so GorbLink sends
    /// strings; gorblink serve takes numbers or strings.
    /// </summary>
    [JsonPropertyName("args")] public Dictionary<string, JsonElement>? Args { get; set; }
}

/// <summary>GET /service/{vsID}.</summary>
public sealed class GorbServiceInfo
{
    [JsonPropertyName("options")] public GorbServiceOptions? Options { get; set; }
    /// <summary>Mean health of the backends; 1 with none.</summary>
    [JsonPropertyName("health")] public double Health { get; set; }
    /// <summary>The rsIDs of the service's backends.</summary>
    [JsonPropertyName("backends")] public List<string>? Backends { get; set; }
}

/// <summary>GET /service/{vsID}/{rsID}.</summary>
public sealed class GorbBackendInfo
{
    [JsonPropertyName("options")] public GorbBackendOptions? Options { get; set; }
    [JsonPropertyName("metrics")] public GorbBackendMetrics? Metrics { get; set; }
}

public sealed class GorbBackendMetrics
{
    /// <summary>0 up, 1 down, 2 removed (pulse/status.go).</summary>
    [JsonPropertyName("status")] public int Status { get; set; }
    /// <summary>Share of successful checks among the last 100.</summary>
    [JsonPropertyName("health")] public double Health { get; set; }
    /// <summary>Whole seconds since the backend last came up (GORB puts seconds in a time.Duration).</summary>
    [JsonPropertyName("uptime")] public long Uptime { get; set; }
}

/// <summary>Every error response: {"error":"..."}.</summary>
public sealed class GorbError
{
    [JsonPropertyName("error")] public string? Error { get; set; }
}

public static class GorbStatus
{
    public const int Up = 0;
    public const int Down = 1;
    public const int Removed = 2;
}

[JsonSourceGenerationOptions(
    PropertyNameCaseInsensitive = true,
    WriteIndented = true,
    IndentCharacter = '\t',
    IndentSize = 1,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(GorbServiceOptions))]
[JsonSerializable(typeof(GorbServicePatch))]
[JsonSerializable(typeof(GorbBackendOptions))]
[JsonSerializable(typeof(GorbServiceInfo))]
[JsonSerializable(typeof(GorbBackendInfo))]
[JsonSerializable(typeof(GorbError))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string))]
internal sealed partial class GorbJsonContext : JsonSerializerContext;

/// <summary>Health checks as GorbLink sends them: every arg a JSON string, since GORB's handler panics on numbers (util/map.go).</summary>
public static class GorbPulse
{
    /// <summary>pulse {"type":"none"}: always up (what gorb-docker-link sends for UDP backends).</summary>
    public static GorbPulseOptions None() => new() { Type = "none", Interval = "", Args = null };

    /// <summary>pulse {"type":"tcp","interval":...}.</summary>
    public static GorbPulseOptions Tcp(string interval = GorbWords.DefaultInterval) => new() { Type = "tcp", Interval = interval };

    /// <summary>pulse {"type":"http",...} with args method, path, expect and (optionally) host and port, all strings.</summary>
    public static GorbPulseOptions Http(string path = "/", int expect = 200, string method = "GET", string? host = null, ushort? port = null,
        string interval = GorbWords.DefaultInterval)
    {
        var args = new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            ["method"] = Text(method),
            ["path"] = Text(path),
            ["expect"] = Text(expect.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (host is not null) args["host"] = Text(host);
        if (port is { } p) args["port"] = Text(p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new GorbPulseOptions { Type = "http", Interval = interval, Args = args };
    }

    private static JsonElement Text(string value) => JsonSerializer.SerializeToElement(value, GorbJsonContext.Default.String);
}
