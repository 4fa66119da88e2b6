using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GorbLink.Core.IO;
using GorbLink.Ipvs;

namespace GorbLink.Core.Status;

/// <summary>One IPVS connection-sync daemon as `gorblink status` and /metrics show it.</summary>
public sealed record SyncDaemonStatusEntry
{
    /// <summary>"master" or "backup".</summary>
    public required string Role { get; init; }
    public required string Interface { get; init; }
    public uint SyncId { get; init; }
    /// <summary>The multicast group, as the kernel reports it (or as asked, when it is not running).</summary>
    public string? Group { get; init; }
    public int? Port { get; init; }
    /// <summary>
    /// "running": GorbLink started it and the kernel runs it; "foreign": the kernel runs it and GorbLink did not start it
    /// (left alone); "stopped": GorbLink started it and the kernel no longer runs it.
    /// </summary>
    public required string State { get; init; }
    /// <summary>How a foreign daemon's settings differ from what GorbLink was asked for; null when they match.</summary>
    public string? Note { get; init; }

    public const string Running = "running";
    public const string Foreign = "foreign";
    public const string Stopped = "stopped";

    public static string RoleName(SyncDaemonState state) => state switch
    {
        SyncDaemonState.Master => "master",
        SyncDaemonState.Backup => "backup",
        _ => ((uint)state).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The kernel's daemons now, each marked with what GorbLink recorded at start-up: a role GorbLink started and the
    /// kernel still runs is "running", one it did not start is "foreign", one it started that is gone is "stopped".
    /// </summary>
    public static IReadOnlyList<SyncDaemonStatusEntry> Merge(IReadOnlyList<SyncDaemon> kernel, IReadOnlyList<SyncDaemonStatusEntry> recorded)
    {
        var entries = new List<SyncDaemonStatusEntry>();
        foreach (var daemon in kernel.OrderBy(d => d.State))
        {
            var role = RoleName(daemon.State);
            var ours = recorded.FirstOrDefault(r => r.Role == role && r.State == Running);
            var note = recorded.FirstOrDefault(r => r.Role == role && r.State == Foreign)?.Note;
            entries.Add(Of(daemon, ours is not null && ours.Interface == daemon.Interface && ours.SyncId == daemon.SyncId ? Running : Foreign, note));
        }
        foreach (var gone in recorded.Where(r => r.State == Running && entries.All(e => e.Role != r.Role)))
            entries.Add(gone with { State = Stopped });
        return entries;
    }

    public static SyncDaemonStatusEntry Of(SyncDaemon daemon, string state, string? note = null) => new()
    {
        Role = RoleName(daemon.State),
        Interface = daemon.Interface,
        SyncId = daemon.SyncId,
        Group = daemon.MulticastGroup?.ToString(),
        Port = daemon.MulticastPort,
        State = state,
        Note = note,
    };
}

/// <summary>
/// sync-daemons.json in the state directory: which sync daemons GorbLink started (and which it found running and left
/// alone), so that `gorblink status` can tell GorbLink's from someone else's, and a GorbLink restarted after a crash
/// recognises the daemon it started before. Written at start-up, deleted when GorbLink stops its daemons on exit.
/// </summary>
public static class SyncDaemonsFile
{
    public const string FileName = "sync-daemons.json";

    /// <summary>What the file records; empty when there is none or it cannot be read (it only annotates the kernel's list).</summary>
    public static IReadOnlyList<SyncDaemonStatusEntry> TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), SyncDaemonsJsonContext.Default.SyncDaemonsDocument)?.Daemons ?? [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return [];
        }
    }

    public static void Write(string path, IReadOnlyList<SyncDaemonStatusEntry> daemons) => AtomicFile.Write(path, Serialize(daemons), durable: false);

    public static byte[] Serialize(IReadOnlyList<SyncDaemonStatusEntry> daemons) =>
        [.. JsonSerializer.SerializeToUtf8Bytes(new SyncDaemonsDocument { Daemons = daemons }, SyncDaemonsJsonContext.Default.SyncDaemonsDocument), (byte)'\n'];

    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind, it only marks a daemon that is no longer running as "stopped".
        }
    }
}

public sealed record SyncDaemonsDocument
{
    public int Version { get; init; } = 1;
    public IReadOnlyList<SyncDaemonStatusEntry> Daemons { get; init; } = [];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(SyncDaemonsDocument))]
internal sealed partial class SyncDaemonsJsonContext : JsonSerializerContext;
