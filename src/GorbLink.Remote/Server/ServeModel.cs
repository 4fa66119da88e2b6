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
