using System.Text.Json;
using System.Text.Json.Serialization;
using GorbLink.Core.Pipeline;

namespace GorbLink.Remote.Client;

/// <summary>One daemon as its sink last saw it; written to remote-status.json for `gorblink status`.</summary>
public sealed record RemoteDaemonStatus
{
    public required string Daemon { get; init; }
    public required string Url { get; init; }
    /// <summary>The circuit breaker of its HTTP client: closed, open, half-open or isolated.</summary>
    public string Breaker { get; init; } = "closed";
    /// <summary>Did the last pass reach it?</summary>
    public bool Reachable { get; init; }
    /// <summary>Reached, and the last pass applied the latest desired revision with no refused write.</summary>
    public bool InSync { get; init; }
    /// <summary>Its sink runner's counters (passes, failures, last error, applied revision): kept there, once.</summary>
    public SinkCounters Counters { get; init; } = new();
    public long DesiredRevision { get; init; }
    public int LastPassWrites { get; init; }
    /// <summary>Desired services and backends that are on the daemon after the last successful pass.</summary>
    public int Services { get; init; }
    public int Backends { get; init; }
    /// <summary>What this agent created there (its ownership file).</summary>
    public int OwnedServices { get; init; }
    public int OwnedBackends { get; init; }
    /// <summary>Writes the daemon refused in the last pass.</summary>
    public IReadOnlyList<string> Failures { get; init; } = [];
    /// <summary>Entries someone else made that differ from what this agent wants; left alone.</summary>
    public IReadOnlyList<string> Refused { get; init; } = [];
}

public sealed record RemoteStatusDocument
{
    public int Version { get; init; } = RemoteStatusFile.FormatVersion;
    public DateTimeOffset Written { get; init; }
    public long DesiredRevision { get; init; }
    public int DesiredServices { get; init; }
    public int DesiredBackends { get; init; }
    /// <summary>Desired services or backends that cannot be expressed on a GORB daemon (ID collisions, sctp, fwmark).</summary>
    public IReadOnlyList<string> NotSent { get; init; } = [];
    public IReadOnlyList<RemoteDaemonStatus> Daemons { get; init; } = [];
}

/// <summary>remote-status.json next to state.json: the remote sinks' state for `gorblink status`.</summary>
public static class RemoteStatusFile
{
    public const int FormatVersion = 1;
    public const string FileName = "remote-status.json";

    public static RemoteStatusDocument? TryRead(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(content, RemoteJsonContext.Default.RemoteStatusDocument);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static byte[] Serialize(RemoteStatusDocument document) =>
        [.. JsonSerializer.SerializeToUtf8Bytes(document, RemoteJsonContext.Default.RemoteStatusDocument), (byte)'\n'];

    public static void Write(string path, RemoteStatusDocument document) => GorbLink.Core.IO.AtomicFile.Write(path, Serialize(document), durable: false);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(RemoteStatusDocument))]
[JsonSerializable(typeof(RemoteOwnershipDocument))]
internal sealed partial class RemoteJsonContext : JsonSerializerContext;
