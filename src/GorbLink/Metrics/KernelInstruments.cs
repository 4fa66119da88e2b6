using System.Diagnostics.Metrics;
using GorbLink.Ipvs;

namespace GorbLink.Metrics;

/// <summary>
/// Per virtual service and destination GorbLink manages: the kernel's IPVS counters (STATS64), connection counts and
/// weights, as observable instruments over one <see cref="KernelView"/> read per collection. A service or destination
/// gone from the kernel is gone from the next collection.
/// </summary>
internal static class KernelInstruments
{
    public static void Add(Meter meter, KernelView kernel)
    {
        meter.CreateObservableGauge("gorblink.ipvs.up", () => kernel.Current().Up ? 1 : 0,
            description: "1 when this collection could read the kernel's IPVS table.");
        meter.CreateObservableGauge("gorblink.ipvs.services", () => kernel.Current().Services.Count,
            description: "Virtual services GorbLink manages that are in the kernel.");

        meter.CreateObservableCounter("gorblink.ipvs.service.connections",
            () => kernel.Current().Services.Select(s => new Measurement<long>((long)s.Table.Service.Stats.Connections, s.Labels)),
            "{connection}", "Connections scheduled by the virtual service (IPVS conns).");
        meter.CreateObservableCounter("gorblink.ipvs.service.packets",
            () => kernel.Current().Services.SelectMany(s => Directions(s.Table.Service.Stats.InPackets, s.Table.Service.Stats.OutPackets, s.Labels)),
            "{packet}", "Packets through the virtual service, by direction (in: from clients, out: to clients).");
        meter.CreateObservableCounter("gorblink.ipvs.service.bytes",
            () => kernel.Current().Services.SelectMany(s => Directions(s.Table.Service.Stats.InBytes, s.Table.Service.Stats.OutBytes, s.Labels)),
            "By", "Bytes through the virtual service, by direction.");

        meter.CreateObservableCounter("gorblink.ipvs.destination.connections",
            () => kernel.Current().Destinations.Select(d => new Measurement<long>((long)d.Destination.Stats.Connections, d.Labels)),
            "{connection}", "Connections scheduled to the destination.");
        meter.CreateObservableCounter("gorblink.ipvs.destination.packets",
            () => kernel.Current().Destinations.SelectMany(d => Directions(d.Destination.Stats.InPackets, d.Destination.Stats.OutPackets, d.Labels)),
            "{packet}", "Packets through the destination, by direction.");
        meter.CreateObservableCounter("gorblink.ipvs.destination.bytes",
            () => kernel.Current().Destinations.SelectMany(d => Directions(d.Destination.Stats.InBytes, d.Destination.Stats.OutBytes, d.Labels)),
            "By", "Bytes through the destination, by direction.");
        meter.CreateObservableGauge("gorblink.ipvs.destination.active_connections",
            () => kernel.Current().Destinations.Select(d => new Measurement<long>(d.Destination.ActiveConnections, d.Labels)),
            "{connection}", "Established connections to the destination (ActiveConn).");
        meter.CreateObservableGauge("gorblink.ipvs.destination.inactive_connections",
            () => kernel.Current().Destinations.Select(d => new Measurement<long>(d.Destination.InactiveConnections, d.Labels)),
            "{connection}", "Other connections to the destination (InActConn).");
        meter.CreateObservableGauge("gorblink.ipvs.destination.weight",
            () => kernel.Current().Destinations.Select(d => new Measurement<long>(d.Destination.Destination.Spec.Weight, d.Labels)),
            description: "The destination's weight in the kernel; 0 while it drains.");
    }

    private static IEnumerable<Measurement<long>> Directions(ulong @in, ulong @out, KeyValuePair<string, object?>[] labels)
    {
        yield return new Measurement<long>((long)@in, [.. labels, new("direction", "in")]);
        yield return new Measurement<long>((long)@out, [.. labels, new("direction", "out")]);
    }
}
