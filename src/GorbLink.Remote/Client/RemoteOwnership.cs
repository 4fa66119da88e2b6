using System.Text.Json;
using System.Text.Json.Serialization;
using GorbLink.Core.Ownership;

namespace GorbLink.Remote.Client;

/// <summary>The per-daemon ownership file is damaged or cannot be written; the agent will not guess.</summary>
public sealed class RemoteOwnershipException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    public string FilePath { get; } = path;
}

/// <summary>A backend this agent created on a daemon.</summary>
/// <param name="Weight">The weight the agent last sent; null for a backend it adopted without setting one.</param>
public sealed record OwnedBackend(string Service, int? Weight);

/// <summary>
/// What this agent created on one daemon: vsIDs and rsIDs, in remote-&lt;host&gt;_&lt;port&gt;.json next to state.json, replaced
/// atomically on every change. The agent deletes only what is listed here, so that several agents (and people) can
/// share one daemon: a service another agent created is used, never deleted; a backend is deleted only by its creator.
/// Written ahead of a create, like the kernel's ownership file, so a crash never leaves an entry unlisted; read and
/// replaced through the same <see cref="OwnershipFile"/> as the kernel's (atomic, durable, directory fsync included).
/// Not thread-safe: one daemon loop owns it.
/// </summary>
public sealed class RemoteOwnership
{
    public const int FormatVersion = 1;

    private readonly HashSet<string> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OwnedBackend> _backends = new(StringComparer.Ordinal);
    private string _saved = "";
    private bool _loaded;

    public RemoteOwnership(string path, string daemon)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FilePath = path;
        Daemon = daemon;
    }

    public string FilePath { get; }
    public string Daemon { get; }

    public IReadOnlyCollection<string> Services => _services;
    public IReadOnlyDictionary<string, OwnedBackend> Backends => _backends;

    public bool OwnsService(string vsId) => _services.Contains(vsId);
    public bool OwnsBackend(string rsId) => _backends.ContainsKey(rsId);

    public void AddService(string vsId) => _services.Add(vsId);
    public void RemoveService(string vsId) => _services.Remove(vsId);
    public void SetBackend(string rsId, OwnedBackend backend) => _backends[rsId] = backend;
    public void RemoveBackend(string rsId) => _backends.Remove(rsId);

    /// <summary>Reads the file once; a missing file means nothing is owned.</summary>
    /// <exception cref="RemoteOwnershipException">The file exists but cannot be read or understood.</exception>
    public void Load()
    {
        if (_loaded) return;
        var content = OwnershipFile.Read(FilePath, e => new RemoteOwnershipException(FilePath,
            $"cannot read {FilePath}, the record of what this agent created on {Daemon}: {e.Message}", e));
        if (content is null)
        {
            _loaded = true;
            return;
        }
        RemoteOwnershipDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(content, RemoteJsonContext.Default.RemoteOwnershipDocument);
        }
        catch (JsonException e)
        {
            throw Corrupt($"it is not valid JSON ({e.Message})", e);
        }
        if (document is null) throw Corrupt("it holds no JSON object");
        if (document.Version != FormatVersion) throw Corrupt($"it has format version {document.Version}; this GorbLink reads version {FormatVersion}");
        foreach (var service in document.Services ?? [])
        {
            if (string.IsNullOrEmpty(service)) throw Corrupt("a service id is empty");
            _services.Add(service);
        }
        foreach (var backend in document.Backends ?? [])
        {
            if (backend is null || string.IsNullOrEmpty(backend.Id) || string.IsNullOrEmpty(backend.Service))
                throw Corrupt("a backend has no id or no service");
            _backends[backend.Id] = new OwnedBackend(backend.Service, backend.Weight);
        }
        _saved = Render(DateTimeOffset.MinValue);
        _loaded = true;
    }

    /// <summary>Writes the file when it changed since the last save (atomically: temporary file, fsync, rename, fsync of the directory).</summary>
    public void Save()
    {
        var content = Render(DateTimeOffset.MinValue);
        if (content == _saved && File.Exists(FilePath)) return;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(Document(DateTimeOffset.UtcNow), RemoteJsonContext.Default.RemoteOwnershipDocument);
        OwnershipFile.Replace(FilePath, [.. bytes, (byte)'\n'], e => new RemoteOwnershipException(FilePath,
            $"cannot write {FilePath}, the record of what this agent created on {Daemon}: {e.Message}; make the state directory writable", e));
        _saved = content;
    }

    private string Render(DateTimeOffset written) =>
        JsonSerializer.Serialize(Document(written), RemoteJsonContext.Default.RemoteOwnershipDocument);

    private RemoteOwnershipDocument Document(DateTimeOffset written) => new()
    {
        Version = FormatVersion,
        Agent = "gorblink",
        Daemon = Daemon,
        Written = written,
        Services = [.. _services.Order(StringComparer.Ordinal)],
        Backends = [.. _backends.OrderBy(b => b.Key, StringComparer.Ordinal)
            .Select(b => new RemoteOwnedBackendEntry { Id = b.Key, Service = b.Value.Service, Weight = b.Value.Weight })],
    };

    private RemoteOwnershipException Corrupt(string problem, Exception? inner = null) => new(FilePath,
        $"{FilePath}, the record of what this agent created on {Daemon}, is damaged: {problem}. To start anyway move it away " +
        $"(mv {FilePath} {FilePath}.bad): what the agent created there before then is left alone, never deleted.", inner);
}

internal sealed class RemoteOwnershipDocument
{
    public int Version { get; set; }
    public string? Agent { get; set; }
    public string? Daemon { get; set; }
    public DateTimeOffset Written { get; set; }
    public List<string>? Services { get; set; }
    public List<RemoteOwnedBackendEntry>? Backends { get; set; }
}

internal sealed class RemoteOwnedBackendEntry
{
    public string? Id { get; set; }
    public string? Service { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Weight { get; set; }
}
