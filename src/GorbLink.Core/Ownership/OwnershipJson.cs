using System.Text.Json;
using System.Text.Json.Serialization;

namespace GorbLink.Core.Ownership;

// The ownership file as JSON sees it. Fields are nullable so that validation, not the deserializer, names what is missing.

internal sealed class OwnershipDocument
{
    public int? Version { get; set; }
    /// <summary>"gorblink": says what wrote the file.</summary>
    public string? Agent { get; set; }
    public string? AgentVersion { get; set; }
    public string? LabelPrefix { get; set; }
    public DateTimeOffset? Written { get; set; }
    public List<OwnedServiceEntry?>? Services { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; set; }
}

internal sealed class OwnedServiceEntry
{
    public string? Protocol { get; set; }
    public string? Address { get; set; }
    public long? Port { get; set; }
    public long? Fwmark { get; set; }
    public string? Family { get; set; }
    public List<OwnedDestinationEntry?>? Destinations { get; set; }
}

internal sealed class OwnedDestinationEntry
{
    public string? Address { get; set; }
    public long? Port { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowDuplicateProperties = false,
    WriteIndented = true)]
[JsonSerializable(typeof(OwnershipDocument))]
internal sealed partial class OwnershipJsonContext : JsonSerializerContext;
