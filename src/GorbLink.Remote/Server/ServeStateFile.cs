using System.Text.Json;
using System.Text.Json.Serialization;
using GorbLink.Core.IO;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Server;

/// <summary>serve-state.json: the IDs and options of serve's desired state, so that a restart adopts them.</summary>
internal sealed class ServeStateDocument
{
    public int Version { get; set; } = 1;
    public List<ServeStateService?>? Services { get; set; }
    public List<ServeStateBackend?>? Backends { get; set; }
}

internal sealed class ServeStateService
{
    public string? Id { get; set; }
    /// <summary>The address the host resolved to when the service was created.</summary>
    public string? Address { get; set; }
    public GorbServiceOptions? Options { get; set; }
}

internal sealed class ServeStateBackend
{
    public string? Id { get; set; }
    public string? Service { get; set; }
    public string? Address { get; set; }
    /// <summary>The weight here is the one the client set last (0 for a drain), never the health check's.</summary>
    public GorbBackendOptions? Options { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ServeStateDocument))]
internal sealed partial class ServeJsonContext : JsonSerializerContext;

/// <summary>Reads and writes serve-state.json. A file that is not what this daemon writes is "damaged": one typed error, never a crash.</summary>
internal static class ServeStateFile
{
    /// <summary>Null when there is no file.</summary>
    /// <exception cref="InvalidDataException">The file is not JSON, has null entries or repeats an ID; the message says to move it away.</exception>
    public static ServeStateDocument? Read(string path)
    {
        ServeStateDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(File.ReadAllBytes(path), ServeJsonContext.Default.ServeStateDocument);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw Damaged(path, e.Message, e);
        }
        if (document is null) throw Damaged(path, "it holds null instead of an object");
        var services = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (document.Services?.Count ?? 0); i++)
        {
            if (document.Services![i] is not { } service) throw Damaged(path, $"services[{i}] is null");
            if (service.Id is { } id && !services.Add(id)) throw Damaged(path, $"service ID \"{id}\" is listed twice");
        }
        var backends = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (document.Backends?.Count ?? 0); i++)
        {
            if (document.Backends![i] is not { } backend) throw Damaged(path, $"backends[{i}] is null");
            if (backend.Id is { } id && !backends.Add(id)) throw Damaged(path, $"backend ID \"{id}\" is listed twice");
        }
        return document;
    }

    public static void Write(string path, IEnumerable<ServiceEntry> services, IEnumerable<BackendEntry> backends)
    {
        var document = new ServeStateDocument
        {
            Services = [.. services.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => new ServeStateService
            {
                Id = s.Id,
                Address = s.Service.Key.Address?.ToString(),
                Options = s.Options,
            })],
            Backends = [.. backends.OrderBy(b => b.Id, StringComparer.Ordinal).Select(b => new ServeStateBackend
            {
                Id = b.Id,
                Service = b.ServiceId,
                Address = b.Destination.Key.Address.ToString(),
                Options = b.Options,
            })],
        };
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(document, ServeJsonContext.Default.ServeStateDocument), durable: true);
    }

    private static InvalidDataException Damaged(string path, string problem, Exception? inner = null) =>
        new($"{path} is damaged ({problem}); move it away to start without adopting", inner);
}
