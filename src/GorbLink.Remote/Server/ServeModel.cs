using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Server;

/// <summary>A request the daemon refuses: GORB's status code and a message naming the field.</summary>
public sealed class GorbApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static GorbApiException BadRequest(string message) => new(400, message);
    public static GorbApiException NotFound(string message) => new(404, message);
    public static GorbApiException Conflict(string message) => new(409, message);
}

internal enum PulseKind { Tcp, Http, None }

/// <summary>A validated health check.</summary>
internal sealed record PulseSpec(PulseKind Kind, TimeSpan Interval, string HttpMethod, string Path, int Expect, string? Host, int? Port)
{
    public static PulseSpec Default { get; } = new(PulseKind.Tcp, TimeSpan.FromMinutes(1), "GET", "/", 200, null, null);
}

internal sealed class ServiceEntry
{
    public required string Id { get; init; }
    /// <summary>The options as GET shows them: host as given, protocol and method with their defaults filled in.</summary>
    public required GorbServiceOptions Options { get; set; }
    public required VirtualService Service { get; set; }
    public SortedSet<string> Backends { get; } = new(StringComparer.Ordinal);
}

internal sealed class BackendEntry
{
    private const int Window = 100;
    private readonly bool[] _results = new bool[Window];
    private int _count;
    private int _next;
    private int _ups;

    public required string Id { get; init; }
    public required string ServiceId { get; init; }
    /// <summary>As GET shows them: host as given, weight and method and pulse with their defaults filled in.</summary>
    public required GorbBackendOptions Options { get; set; }
    public required Destination Destination { get; set; }
    public required PulseSpec Pulse { get; init; }

    /// <summary>The weight the client set; the kernel has 0 instead while the health check says down.</summary>
    public int Weight => Destination.Spec.Weight;

    public int Status { get; set; } = GorbStatus.Up;
    public DateTimeOffset UpSince { get; set; }
    public CancellationTokenSource? PulseStop { get; set; }

    /// <summary>Share of successful checks among the last 100; 1 before the first check.</summary>
    public double Health => _count == 0 ? 1.0 : (double)_ups / _count;

    public int KernelWeight => Status == GorbStatus.Down ? 0 : Weight;

    public void Record(bool up)
    {
        if (_count == Window && _results[_next]) _ups--;
        _results[_next] = up;
        if (up) _ups++;
        _next = (_next + 1) % Window;
        if (_count < Window) _count++;
    }
}

/// <summary>serve-state.json: the IDs and options of what this daemon created, so that a restart adopts them.</summary>
internal sealed class ServeStateDocument
{
    public int Version { get; set; } = 1;
    public List<ServeStateService>? Services { get; set; }
    public List<ServeStateBackend>? Backends { get; set; }
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
    public GorbBackendOptions? Options { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ServeStateDocument))]
internal sealed partial class ServeJsonContext : JsonSerializerContext;

internal static class ServeStateFile
{
    public static ServeStateDocument? Read(string path)
    {
        try
        {
            var content = File.ReadAllBytes(path);
            return JsonSerializer.Deserialize(content, ServeJsonContext.Default.ServeStateDocument);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is damaged ({e.Message}); move it away to start without adopting", e);
        }
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
        GorbLink.Core.IO.AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(document, ServeJsonContext.Default.ServeStateDocument), durable: true);
    }
}

internal static class Addresses
{
    public static string Family(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}
