using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;

namespace GorbLink.Testing;

/// <summary>Builds desired services and kernel tables for tests, including what a real kernel adds on readback.</summary>
public static class KernelTables
{
    public static VirtualServiceKey Tcp(string address, ushort port) => VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse(address), port);
    public static VirtualServiceKey Udp(string address, ushort port) => VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse(address), port);
    public static VirtualServiceKey Fwmark(uint mark, AddressFamily family = AddressFamily.InterNetwork) => VirtualServiceKey.ForFirewallMark(family, mark);

    public static Destination Dest(string address, ushort port, DestinationSpec? spec = null) =>
        new(new DestinationKey(IPAddress.Parse(address), port), spec ?? DestinationSpec.Default);

    public static DesiredService Service(VirtualServiceKey key, VirtualServiceSpec? spec, params Destination[] destinations) =>
        new(new VirtualService(key, spec ?? VirtualServiceSpec.Default), destinations);

    public static DesiredService Service(VirtualServiceKey key, params Destination[] destinations) => Service(key, null, destinations);

    /// <summary>The table exactly as desired, with no readback changes.</summary>
    public static VirtualServiceTable Table(DesiredService service) => new(
        new VirtualServiceStatus(service.Service, IpvsStats.Empty),
        [.. service.Destinations.Select(destination => new DestinationStatus(destination, 0, 0, 0, IpvsStats.Empty))]);

    public static IReadOnlyList<VirtualServiceTable> Tables(params DesiredService[] services) => [.. services.Select(Table)];

    /// <summary>
    /// The table as a kernel reports it after applying <paramref name="service"/>: HASHED set, PERSISTENT set from the timeout,
    /// the netmask given explicitly, no persistence engine as an empty name.
    /// </summary>
    public static VirtualServiceTable Readback(DesiredService service)
    {
        var spec = service.Service.Spec;
        var flags = spec.Flags | ServiceFlags.Hashed;
        if (spec.PersistenceTimeout > 0) flags |= ServiceFlags.Persistent;
        var readbackSpec = spec with
        {
            Flags = flags,
            NetmaskPrefixLength = spec.NetmaskPrefixLength ?? (service.Key.Family == AddressFamily.InterNetworkV6 ? 128 : 32),
            PersistenceEngine = spec.PersistenceEngine ?? "",
        };
        return new VirtualServiceTable(
            new VirtualServiceStatus(service.Service with { Spec = readbackSpec }, IpvsStats.Empty),
            [.. service.Destinations.Select(destination => new DestinationStatus(destination, 0, 0, 0, IpvsStats.Empty))]);
    }

    public static VirtualServiceTable WithDestinationSpec(VirtualServiceTable table, DestinationKey key, Func<DestinationSpec, DestinationSpec> change) =>
        table with
        {
            Destinations = [.. table.Destinations.Select(d => d.Key == key ? d with { Destination = d.Destination with { Spec = change(d.Destination.Spec) } } : d)],
        };

    /// <summary>Desired services as comparable text: every field of the model, one line per service or destination.</summary>
    public static string Dump(IEnumerable<DesiredService> services)
    {
        var lines = new List<string>();
        foreach (var service in services)
        {
            var spec = service.Service.Spec;
            lines.Add($"service {service.Key}: scheduler={spec.Scheduler} flags={spec.Flags} persistence={spec.PersistenceTimeout} " +
                $"netmask={spec.NetmaskPrefixLength?.ToString() ?? "host"} pe={spec.PersistenceEngine ?? "none"}");
            foreach (var destination in service.Destinations)
            {
                var d = destination.Spec;
                lines.Add($"  destination {destination.Key}: forward={d.Forward} weight={d.Weight} upper={d.UpperThreshold} lower={d.LowerThreshold} " +
                    $"tunnel={d.TunnelType} tunnelPort={d.TunnelPort} tunnelFlags={d.TunnelFlags}");
            }
        }
        return string.Join("\n", lines);
    }
}
