using System.Text.Json.Serialization;

namespace GorbLink.Docker.Engine;

// The Docker Engine API's answers, reduced to the fields GorbLink reads. Every field here exists from API 1.41
// through 1.54 with the same name and meaning; unknown fields are skipped by the deserialiser, so newer engines
// that add fields change nothing. Addresses come from NetworkSettings.Networks[*] only: API 1.52 removed the
// legacy top-level NetworkSettings.IPAddress.

/// <summary><c>GET /version</c> (unversioned): the engine's product version and the API range it accepts.</summary>
public sealed record DockerVersion
{
    [JsonPropertyName("Version")] public string? Version { get; init; }
    [JsonPropertyName("ApiVersion")] public string? ApiVersion { get; init; }
    /// <summary>Absent on very old engines, which accept everything from 1.12.</summary>
    [JsonPropertyName("MinAPIVersion")] public string? MinApiVersion { get; init; }
}

/// <summary><c>GET /info</c>: only the daemon's clock, used as the events <c>since</c>.</summary>
public sealed record DockerSystemInfo
{
    /// <summary>RFC 3339 with nanoseconds, in the daemon's time zone.</summary>
    [JsonPropertyName("SystemTime")] public string? SystemTime { get; init; }
}

/// <summary>One entry of <c>GET /containers/json</c>: the id is all the watcher needs, it inspects each.</summary>
public sealed record ContainerSummary
{
    [JsonPropertyName("Id")] public string Id { get; init; } = "";
}

/// <summary><c>GET /containers/{id}/json</c>.</summary>
public sealed record ContainerInspect
{
    [JsonPropertyName("Id")] public string Id { get; init; } = "";
    /// <summary>With Docker's leading "/".</summary>
    [JsonPropertyName("Name")] public string? Name { get; init; }
    /// <summary>The image id (sha256:…); <see cref="InspectConfig.Image"/> is the name the user gave.</summary>
    [JsonPropertyName("Image")] public string? Image { get; init; }
    /// <summary>RFC 3339 with nanoseconds.</summary>
    [JsonPropertyName("Created")] public string? Created { get; init; }
    [JsonPropertyName("State")] public InspectState? State { get; init; }
    [JsonPropertyName("Config")] public InspectConfig? Config { get; init; }
    [JsonPropertyName("NetworkSettings")] public InspectNetworkSettings? NetworkSettings { get; init; }
    [JsonPropertyName("HostConfig")] public InspectHostConfig? HostConfig { get; init; }
}

/// <summary><c>State</c> of an inspect answer.</summary>
public sealed record InspectState
{
    /// <summary>created, running, paused, restarting, removing, exited or dead.</summary>
    [JsonPropertyName("Status")] public string? Status { get; init; }
    /// <summary>Also true while paused or restarting.</summary>
    [JsonPropertyName("Running")] public bool Running { get; init; }
    [JsonPropertyName("Paused")] public bool Paused { get; init; }
    [JsonPropertyName("Restarting")] public bool Restarting { get; init; }
    [JsonPropertyName("Dead")] public bool Dead { get; init; }
    /// <summary>"0001-01-01T00:00:00Z" for a container that never ran.</summary>
    [JsonPropertyName("StartedAt")] public string? StartedAt { get; init; }
    /// <summary>Present only for a container with a healthcheck.</summary>
    [JsonPropertyName("Health")] public InspectHealth? Health { get; init; }
}

/// <summary><c>State.Health</c>.</summary>
public sealed record InspectHealth
{
    /// <summary>starting, healthy or unhealthy (none: no healthcheck).</summary>
    [JsonPropertyName("Status")] public string? Status { get; init; }
}

/// <summary><c>Config</c>: what the container was created with.</summary>
public sealed record InspectConfig
{
    [JsonPropertyName("Image")] public string? Image { get; init; }
    /// <summary>Immutable after create.</summary>
    [JsonPropertyName("Labels")] public Dictionary<string, string>? Labels { get; init; }
    /// <summary>Keys "80/tcp"; the values are always empty objects.</summary>
    [JsonPropertyName("ExposedPorts")] public Dictionary<string, EmptyObject>? ExposedPorts { get; init; }
    /// <summary>"SIGTERM" unless the image or <c>--stop-signal</c> says otherwise; may be absent.</summary>
    [JsonPropertyName("StopSignal")] public string? StopSignal { get; init; }
}

/// <summary>The <c>{}</c> values of <c>Config.ExposedPorts</c>.</summary>
public sealed record EmptyObject;

/// <summary><c>NetworkSettings</c>.</summary>
public sealed record InspectNetworkSettings
{
    /// <summary>Keys "80/tcp"; a null value means exposed but not published.</summary>
    [JsonPropertyName("Ports")] public Dictionary<string, List<InspectPortBinding>?>? Ports { get; init; }
    [JsonPropertyName("Networks")] public Dictionary<string, InspectEndpoint?>? Networks { get; init; }
}

/// <summary>One host binding of a published port.</summary>
public sealed record InspectPortBinding
{
    /// <summary>"" or absent means all addresses; IPv6 may come in brackets.</summary>
    [JsonPropertyName("HostIp")] public string? HostIp { get; init; }
    [JsonPropertyName("HostPort")] public string? HostPort { get; init; }
}

/// <summary>The container's endpoint on one network (<c>NetworkSettings.Networks[name]</c>).</summary>
public sealed record InspectEndpoint
{
    /// <summary>"" while the container is not running.</summary>
    [JsonPropertyName("IPAddress")] public string? IPAddress { get; init; }
    [JsonPropertyName("GlobalIPv6Address")] public string? GlobalIPv6Address { get; init; }
}

/// <summary><c>HostConfig</c>.</summary>
public sealed record InspectHostConfig
{
    /// <summary>bridge, host, none, container:ID, or a network name; "default" is the bridge.</summary>
    [JsonPropertyName("NetworkMode")] public string? NetworkMode { get; init; }
}

/// <summary>One message of <c>GET /events</c>.</summary>
public sealed record DockerEvent
{
    /// <summary>container, network, image, volume, daemon, …</summary>
    [JsonPropertyName("Type")] public string? Type { get; init; }
    /// <summary>start, die, kill, "health_status: healthy", connect, …</summary>
    [JsonPropertyName("Action")] public string? Action { get; init; }
    [JsonPropertyName("Actor")] public DockerEventActor? Actor { get; init; }
    /// <summary>Unix seconds.</summary>
    [JsonPropertyName("time")] public long Time { get; init; }
    /// <summary>Unix nanoseconds.</summary>
    [JsonPropertyName("timeNano")] public long TimeNano { get; init; }
}

/// <summary>What an event is about: for container events the container (its labels, name, image, signal, exitCode in
/// the attributes); for network events the network, with the container id in the "container" attribute.</summary>
public sealed record DockerEventActor
{
    [JsonPropertyName("ID")] public string? Id { get; init; }
    [JsonPropertyName("Attributes")] public Dictionary<string, string>? Attributes { get; init; }
}

/// <summary>Source-generated (reflection-free, trimmable) metadata for the answers above.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(DockerVersion))]
[JsonSerializable(typeof(DockerSystemInfo))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(ContainerInspect))]
[JsonSerializable(typeof(DockerEvent))]
[JsonSerializable(typeof(DockerErrorResponse))]
internal sealed partial class DockerJsonContext : JsonSerializerContext;

/// <summary>The body of every Docker API error: <c>{"message": "…"}</c>.</summary>
internal sealed record DockerErrorResponse
{
    [JsonPropertyName("message")] public string? Message { get; init; }
}
