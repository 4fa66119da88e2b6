using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using GorbLink.Ipvs;

namespace GorbLink.Core.Ownership;

public sealed record OwnershipOptions
{
    public const string DefaultPath = "/var/lib/gorblink/state.json";

    /// <summary>The ownership file; its directory should be a volume so that the file outlives the container.</summary>
    public string Path { get; init; } = DefaultPath;

    /// <summary>The agent's --label-prefix, recorded in the file so that it says which agent it belongs to.</summary>
    public string LabelPrefix { get; init; } = Labels.LabelOptions.DefaultPrefix;

    /// <summary>Recorded in the file; defaults to the informational version of GorbLink.Core.</summary>
    public string AgentVersion { get; init; } = DefaultAgentVersion;

    public static string DefaultAgentVersion { get; } =
        typeof(OwnershipOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}

/// <summary>What the ownership file said about itself when it was loaded.</summary>
public sealed record OwnershipFileInfo(string Path, string? LabelPrefix, string? AgentVersion, DateTimeOffset? Written);

/// <summary>
/// Persists which IPVS entries GorbLink created (<see cref="OwnedTable"/>) in a small JSON file, replaced atomically on
/// every change, so that a restarted agent (kill -9 included) adopts exactly its own entries and nothing else.
/// </summary>
/// <remarks>
/// A missing file means nothing is owned. A file that cannot be read or understood is an error
/// (<see cref="OwnershipFileException"/>): dropping it silently would turn the agent's own entries into foreign ones
/// that it never cleans up, or worse. Construction does no I/O. Not thread-safe; the reconciler serialises its use.
/// </remarks>
public sealed class OwnershipStore
{
    public const int FormatVersion = 1;
    private const string AgentName = "gorblink";

    private OwnedTable? _current;
    private bool _fileExists;

    public OwnershipStore(OwnershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path, nameof(options));
        Options = options;
    }

    public OwnershipOptions Options { get; }
    public string FilePath => Options.Path;
    public bool IsLoaded => _current is not null;

    /// <summary>The header of the file as it was loaded; null when there was no file.</summary>
    public OwnershipFileInfo? LoadedFile { get; private set; }

    /// <summary>The table as last loaded or saved.</summary>
    public OwnedTable Current => _current ?? throw new InvalidOperationException("the ownership file has not been loaded");

    /// <summary>Reads the file (once; later calls return <see cref="Current"/>). A missing file is an empty table.</summary>
    /// <exception cref="OwnershipFileException">The file exists but cannot be read or is not a valid ownership file.</exception>
    public OwnedTable Load()
    {
        if (_current is not null) return _current;
        var content = OwnershipFile.Read(FilePath, e => new OwnershipFileException(FilePath,
            $"cannot read the ownership file {FilePath}: {e.Message}. GorbLink needs it to know which IPVS entries it created; " +
            "make it readable (run as root, or fix the volume's permissions).", e));
        if (content is null)
        {
            _fileExists = false;
            return _current = OwnedTable.Empty;
        }
        var (table, info) = Parse(content, FilePath);
        _fileExists = true;
        LoadedFile = info;
        return _current = table;
    }

    /// <summary>Replaces the file atomically and durably; does nothing when <paramref name="table"/> equals what the file holds.</summary>
    public void Save(OwnedTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (_current is null) throw new InvalidOperationException("load the ownership file before saving it");
        if (_fileExists && table.Equals(_current)) return;
        var bytes = Serialize(table, Options.LabelPrefix, Options.AgentVersion, DateTimeOffset.UtcNow);
        OwnershipFile.Replace(FilePath, bytes, e => new OwnershipFileException(FilePath,
            $"cannot write the ownership file {FilePath}: {e.Message}. Without it a restarted agent would not know which IPVS entries it created; " +
            "make its directory writable (mount a volume at it, e.g. -v gorblink-state:/var/lib/gorblink).", e));
        _fileExists = true;
        _current = table;
    }

    internal static byte[] Serialize(OwnedTable table, string labelPrefix, string agentVersion, DateTimeOffset written)
    {
        var document = new OwnershipDocument
        {
            Version = FormatVersion,
            Agent = AgentName,
            AgentVersion = agentVersion,
            LabelPrefix = labelPrefix,
            Written = written,
            Services = [.. table.Services.Select(key => ServiceEntry(key, table.DestinationsOf(key)))],
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(document, OwnershipJsonContext.Default.OwnershipDocument);
        return [.. json, (byte)'\n'];
    }

    private static OwnedServiceEntry ServiceEntry(VirtualServiceKey key, IReadOnlyList<DestinationKey> destinations) => new()
    {
        Protocol = key.IsFirewallMark ? null : IpvsNames.Protocol(key.Protocol),
        Address = key.Address?.ToString(),
        Port = key.IsFirewallMark ? null : key.Port,
        Fwmark = key.IsFirewallMark ? key.FirewallMark : null,
        Family = key.IsFirewallMark ? IpvsNames.Family(key.Family) : null,
        Destinations = [.. destinations.Select(d => new OwnedDestinationEntry { Address = d.Address.ToString(), Port = d.Port })],
    };

    internal static (OwnedTable Table, OwnershipFileInfo Info) Parse(ReadOnlySpan<byte> content, string path)
    {
        OwnershipDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(content, OwnershipJsonContext.Default.OwnershipDocument);
        }
        catch (JsonException e)
        {
            throw Corrupt(path, $"it is not valid JSON ({e.Message})", e);
        }
        if (document is null) throw Corrupt(path, "it holds no JSON object");
        if (document.Version is not { } version) throw Corrupt(path, "it has no \"version\"");
        if (version != FormatVersion)
        {
            throw new OwnershipFileException(path,
                $"the ownership file {path} has format version {version}, and this GorbLink understands version {FormatVersion} only " +
                $"(it was written by GorbLink {document.AgentVersion ?? "of unknown version"}). Run that version, or move the file away (see the README).");
        }
        if (document.Agent != AgentName) throw Corrupt(path, $"its \"agent\" is {Quote(document.Agent)}, not \"{AgentName}\"");
        if (document.UnknownFields is { Count: > 0 } unknown)
            throw Corrupt(path, $"it has unknown fields: {string.Join(", ", unknown.Keys)}");

        var services = new List<KeyValuePair<VirtualServiceKey, IEnumerable<DestinationKey>>>();
        var seen = new HashSet<VirtualServiceKey>();
        var entries = document.Services ?? [];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i] ?? throw Corrupt(path, $"services[{i}] is null");
            var key = ParseKey(entry, $"services[{i}]", path);
            if (!seen.Add(key)) throw Corrupt(path, $"services[{i}]: service {key} is listed twice");
            var destinations = new List<DestinationKey>();
            var destinationEntries = entry.Destinations ?? [];
            for (var j = 0; j < destinationEntries.Count; j++)
            {
                var where = $"services[{i}] ({key}) destinations[{j}]";
                var d = destinationEntries[j] ?? throw Corrupt(path, $"{where} is null");
                if (!IPAddress.TryParse(d.Address, out var address)) throw Corrupt(path, $"{where}: address {Quote(d.Address)} is not an IP address");
                if (d.Port is not (>= 0 and <= ushort.MaxValue)) throw Corrupt(path, $"{where}: port {Quote(d.Port)} is not 0..65535");
                destinations.Add(new DestinationKey(address, (ushort)d.Port.Value));
            }
            services.Add(new(key, destinations));
        }
        return (OwnedTable.Create(services), new OwnershipFileInfo(path, document.LabelPrefix, document.AgentVersion, document.Written));
    }

    private static VirtualServiceKey ParseKey(OwnedServiceEntry entry, string where, string path)
    {
        if (entry.Fwmark is { } mark)
        {
            if (mark is <= 0 or > uint.MaxValue) throw Corrupt(path, $"{where}: fwmark {mark} is not 1..{uint.MaxValue}");
            var family = entry.Family switch
            {
                "inet" => AddressFamily.InterNetwork,
                "inet6" => AddressFamily.InterNetworkV6,
                _ => throw Corrupt(path, $"{where}: family {Quote(entry.Family)} is neither \"inet\" nor \"inet6\""),
            };
            return VirtualServiceKey.ForFirewallMark(family, (uint)mark);
        }
        if (!IpvsNames.TryParseProtocol(entry.Protocol, out var protocol))
            throw Corrupt(path, $"{where}: protocol {Quote(entry.Protocol)} is not tcp, udp or sctp");
        if (!IPAddress.TryParse(entry.Address, out var address))
            throw Corrupt(path, $"{where}: address {Quote(entry.Address)} is not an IP address");
        if (entry.Port is not (>= 0 and <= ushort.MaxValue)) throw Corrupt(path, $"{where}: port {Quote(entry.Port)} is not 0..65535");
        return VirtualServiceKey.For(protocol, address, (ushort)entry.Port.Value);
    }

    private static string Quote(object? value) => value switch
    {
        null => "(missing)",
        string s => $"\"{s}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static OwnershipFileException Corrupt(string path, string problem, Exception? inner = null) => new(path,
        $"the ownership file {path} is damaged: {problem}. GorbLink uses it to know which IPVS entries it created, and will not guess. " +
        $"To start anyway, move it away (mv {path} {path}.bad) and restart: entries the agent created before then count as " +
        "someone else's and are left alone, so a service they block is refused with an error; remove those by hand (ipvsadm -D ...).",
        inner);
}
