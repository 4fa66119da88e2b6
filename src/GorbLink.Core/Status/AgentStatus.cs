using System.Text.Json.Serialization;

namespace GorbLink.Core.Status;

/// <summary>
/// The agent's view after its last reconcile pass, written to the status file for <c>gorblink status</c>:
/// each virtual service it manages with its destinations, their containers, weights, drains and the kernel's counters.
/// </summary>
public sealed record AgentStatus
{
    public int Version { get; init; } = StatusFile.FormatVersion;
    /// <summary>When the pass that wrote this ended.</summary>
    public DateTimeOffset Written { get; init; }
    public string? AgentVersion { get; init; }
    public string? LabelPrefix { get; init; }
    public bool DryRun { get; init; }
    /// <summary>Passes since the agent started, failed ones included.</summary>
    public long Passes { get; init; }
    public double LastPassMilliseconds { get; init; }
    /// <summary>Writes the kernel accepted in the last pass.</summary>
    public int LastPassWrites { get; init; }
    /// <summary>The last failed pass (netlink unreachable, ...); null when the last pass succeeded.</summary>
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    public IReadOnlyList<ServiceStatusEntry> Services { get; init; } = [];
    /// <summary>Desired services refused because someone else's service has the same key.</summary>
    public IReadOnlyList<string> Refused { get; init; } = [];
    /// <summary>Operations of the last pass the kernel refused, one line each.</summary>
    public IReadOnlyList<string> Failures { get; init; } = [];
    /// <summary>Containers whose labels are wrong, and containers refused by conflicts.</summary>
    public IReadOnlyList<string> ContainerErrors { get; init; } = [];
    /// <summary>The kernel's IPVS timeouts, read live by <c>gorblink status</c> (host-wide; null when the kernel is not readable).</summary>
    public IpvsTimeoutsStatus? IpvsTimeouts { get; init; }
    /// <summary>The kernel's connection-sync daemons; `gorblink status` fills it in from the kernel, the agent never writes it.</summary>
    public IReadOnlyList<SyncDaemonStatusEntry>? SyncDaemons { get; init; }
}

/// <summary>The kernel's IPVS idle timeouts in seconds (IPVS_CMD_GET_CONFIG): global to the network namespace.</summary>
public sealed record IpvsTimeoutsStatus(uint Tcp, uint TcpFin, uint Udp);

public sealed record ServiceStatusEntry
{
    /// <summary>The service in words: "tcp 10.0.0.1:80" or "fwmark 5 (inet)".</summary>
    public required string Service { get; init; }
    /// <summary>The virtual-service name from the labels; null for an owned service no container asks for anymore.</summary>
    public string? Name { get; init; }
    public string? Protocol { get; init; }
    public string? Address { get; init; }
    public int? Port { get; init; }
    public uint? Fwmark { get; init; }
    public required string Family { get; init; }
    public required string Scheduler { get; init; }
    /// <summary>"active", or "removing" for an owned service that is no longer wanted and waits for drains.</summary>
    public required string State { get; init; }
    public ulong Connections { get; init; }
    public ulong InPackets { get; init; }
    public ulong OutPackets { get; init; }
    public ulong InBytes { get; init; }
    public ulong OutBytes { get; init; }
    public IReadOnlyList<DestinationStatusEntry> Destinations { get; init; } = [];
}

public sealed record DestinationStatusEntry
{
    public required string Address { get; init; }
    public int Port { get; init; }
    public required string Forward { get; init; }
    /// <summary>The weight in the kernel after the pass.</summary>
    public int Weight { get; init; }
    public uint ActiveConnections { get; init; }
    public uint InactiveConnections { get; init; }
    /// <summary>"active", "draining", or "foreign" (inside an owned service, but added by someone else: left alone).</summary>
    public required string State { get; init; }
    public ContainerStatusEntry? Container { get; init; }
    public DateTimeOffset? DrainingSince { get; init; }
    public DateTimeOffset? DrainDeadline { get; init; }
}

public sealed record ContainerStatusEntry
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>none, starting, healthy, unhealthy.</summary>
    public required string Health { get; init; }
    /// <summary>running, stopping, paused, restarting, ...</summary>
    public required string Lifecycle { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(AgentStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
