using System.Text.Json;
using System.Text.Json.Serialization;

namespace GorbLink.Core.StateFiles;

// The state file as JSON sees it. Every field is nullable so that a missing field is reported by validation
// rather than by the deserializer, and unknown properties land in UnknownFields so that all of them can be named.
// Numbers are long so that out-of-range values reach validation too.

internal sealed class StateFileDocument
{
    public List<StateFileService?>? Services { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; set; }
}

internal sealed class StateFileService
{
    public string? Protocol { get; set; }
    public string? Address { get; set; }
    public long? Port { get; set; }
    public long? Fwmark { get; set; }
    public string? Family { get; set; }
    public string? Scheduler { get; set; }
    public List<string?>? Flags { get; set; }
    public long? Persistence { get; set; }
    public string? Netmask { get; set; }
    public string? Pe { get; set; }
    /// <summary>Written by <c>ipvs list --json --stats</c>; ignored on input.</summary>
    public StateFileStats? Stats { get; set; }
    public List<StateFileDestination?>? Destinations { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; set; }
}

internal sealed class StateFileDestination
{
    public string? Address { get; set; }
    public long? Port { get; set; }
    public string? Forward { get; set; }
    public long? Weight { get; set; }
    public long? UpperThreshold { get; set; }
    public long? LowerThreshold { get; set; }
    public string? Tunnel { get; set; }
    public long? TunnelPort { get; set; }
    public List<string?>? TunnelFlags { get; set; }
    /// <summary>Written by <c>ipvs list --json --stats</c>; ignored on input.</summary>
    public StateFileStats? Stats { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; set; }
}

internal sealed class StateFileStats
{
    public ulong? ActiveConnections { get; set; }
    public ulong? InactiveConnections { get; set; }
    public ulong? Connections { get; set; }
    public ulong? InPackets { get; set; }
    public ulong? OutPackets { get; set; }
    public ulong? InBytes { get; set; }
    public ulong? OutBytes { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    AllowDuplicateProperties = false,
    WriteIndented = true)]
[JsonSerializable(typeof(StateFileDocument))]
internal sealed partial class StateFileJsonContext : JsonSerializerContext;
