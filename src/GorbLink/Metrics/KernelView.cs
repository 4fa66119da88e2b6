using System.Globalization;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;
using GorbLink.Remote.Metrics;
using Microsoft.Extensions.Logging;

namespace GorbLink.Metrics;

/// <summary>One virtual service GorbLink manages, as the kernel reported it, with its labels.</summary>
internal sealed record ServiceRow(VirtualServiceTable Table, KeyValuePair<string, object?>[] Labels);

/// <summary>One destination of a managed service, with its labels (the service's, then destination and container).</summary>
internal sealed record DestinationRow(DestinationStatus Destination, KeyValuePair<string, object?>[] Labels);

/// <summary>The kernel's table as one collection sees it; <see cref="Up"/> false when it could not be read.</summary>
internal sealed record KernelSnapshot(bool Up, IReadOnlyList<ServiceRow> Services, IReadOnlyList<DestinationRow> Destinations)
{
    public static readonly KernelSnapshot Unreadable = new(false, [], []);
}

/// <summary>
/// Reads the kernel's IPVS table (STATS64 counters, connection counts, weights) once per collection: the observable
/// instruments of one collection are called one after the other within milliseconds, so a read younger than
/// <see cref="ReuseWindow"/> serves them all. Only services GorbLink manages (owned or desired) are kept. Each read's
/// services and destinations are reported to the export's <see cref="SeriesLedger"/>, which renews the meter provider
/// before the series of objects gone fill the per-object instruments.
/// </summary>
internal sealed partial class KernelView(IAgentProbe probe, TimeProvider time, ILogger logger, SeriesLedger? series = null)
{
    public static readonly TimeSpan ReuseWindow = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private KernelSnapshot? _last;
    private DateTimeOffset _lastAt;
    private long _readErrors;
    private string? _lastError;

    /// <summary>Collections that could not read the kernel.</summary>
    public long ReadErrors => Interlocked.Read(ref _readErrors);

    public KernelSnapshot Current()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_last is { } last && now - _lastAt < ReuseWindow) return last;
            _last = Read();
            _lastAt = now;
            return _last;
        }
    }

    private KernelSnapshot Read()
    {
        IReadOnlyList<VirtualServiceTable> tables;
        try
        {
            // Observable callbacks are synchronous; the dump is one netlink exchange.
            tables = probe.ReadKernelAsync(CancellationToken.None).GetAwaiter().GetResult();
            _lastError = null;
        }
        catch (Exception e) when (e is IpvsException or Netlink.NetlinkException)
        {
            Interlocked.Increment(ref _readErrors);
            if (_lastError != e.Message) LogKernelUnreadable(logger, e.Message);
            _lastError = e.Message;
            return KernelSnapshot.Unreadable;
        }
        var desired = probe.Desired;
        var managed = new HashSet<VirtualServiceKey>(probe.Owned);
        if (desired is not null) foreach (var service in desired.Services) managed.Add(service.Key);
        var services = new List<ServiceRow>();
        var destinations = new List<DestinationRow>();
        foreach (var table in tables)
        {
            if (!managed.Contains(table.Key)) continue;
            var labels = ServiceLabels(table.Key, desired);
            services.Add(new ServiceRow(table, labels));
            foreach (var d in table.Destinations)
            {
                destinations.Add(new DestinationRow(d,
                [
                    .. labels,
                    new("destination", d.Key.ToString()),
                    new("container", desired?.OwnerOf(table.Key, d.Key)?.ContainerName ?? ""),
                ]));
            }
        }
        series?.Services.Report(services.Select(s => LabelSetIdentity.Of(s.Labels)));
        series?.Destinations.Report(destinations.Select(d => LabelSetIdentity.Of(d.Labels)));
        return new KernelSnapshot(true, services, destinations);
    }

    private static KeyValuePair<string, object?>[] ServiceLabels(VirtualServiceKey key, DesiredState? desired)
    {
        var name = desired?.ServiceInfo.TryGetValue(key, out var info) == true ? info.Name : "";
        return
        [
            new("service", key.ToString()),
            new("name", name),
            new("protocol", key.IsFirewallMark ? "fwmark" : IpvsNames.Protocol(key.Protocol)),
            new("vip", key.Address?.ToString() ?? ""),
            new("port", key.IsFirewallMark ? "" : key.Port.ToString(CultureInfo.InvariantCulture)),
        ];
    }

    [LoggerMessage(EventId = 1402, EventName = "MetricsKernelUnreadable", Level = LogLevel.Warning,
        Message = "metrics: cannot read the kernel's IPVS table: {Reason}")]
    private static partial void LogKernelUnreadable(ILogger logger, string reason);
}
