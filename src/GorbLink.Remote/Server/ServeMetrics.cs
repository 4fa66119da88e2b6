using System.Diagnostics.Metrics;
using System.Globalization;
using GorbLink.Ipvs;
using GorbLink.Remote.Metrics;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Server;

/// <summary>
/// GORB's Prometheus gauges (core/prometheus_exporter.go) as observable instruments on the GorbLink meter: same names
/// and labels once exported (gorb.service.health → gorb_service_health); uptime in real seconds. Each collection reads
/// serve's state under its lock, so one collection sees one consistent state per gauge. The services of
/// gorb.service.backends and the backends of gorb.service.backend.weight are reported to the <see cref="SeriesLedger"/>,
/// so their slots in the SDK are given back after enough have come and gone.
/// </summary>
internal static class ServeMetrics
{
    public static void AddInstruments(Meter meter, GorbApi api, SeriesLedger? series = null)
    {
        meter.CreateObservableGauge("gorb.service.health", () => Services(api, (t, s) => ServiceHealth(t, s)),
            description: "Health of the service: the mean health of its backends, 1 with none");
        meter.CreateObservableGauge("gorb.service.backends", () => Reported(series?.Services, Services(api, (_, s) => s.Backends.Count)),
            description: "Number of backends of the service");
        meter.CreateObservableGauge("gorb.service.backend.uptime", () => Backends(api, (b, now) => Uptime(b, now)), "s",
            "Seconds since the backend's health check last came up");
        meter.CreateObservableGauge("gorb.service.backend.health", () => Backends(api, (b, _) => b.Health),
            description: "Share of successful health checks among the last 100");
        meter.CreateObservableGauge("gorb.service.backend.status", () => Backends(api, (b, _) => (double)b.Status),
            description: "Health-check status: 0 up, 1 down, 2 removed");
        meter.CreateObservableGauge("gorb.service.backend.weight", () => Reported(series?.Destinations, Backends(api, (b, _) => b.KernelWeight)),
            description: "Weight of the backend in the kernel");
    }

    private static Measurement<double>[] Reported(ObjectSeries? objects, Measurement<double>[] measurements)
    {
        objects?.Report(measurements.Select(m => LabelSetIdentity.Of(m.Tags)));
        return measurements;
    }

    private static Measurement<double>[] Services(GorbApi api, Func<ServeTables, ServiceEntry, double> value) =>
        api.Read(tables => tables.Services.Values.OrderBy(s => s.Id, StringComparer.Ordinal)
            .Select(s => new Measurement<double>(value(tables, s),
            [
                new("name", s.Id), new("host", s.Service.Key.Address?.ToString() ?? ""),
                new("port", s.Service.Key.Port.ToString(CultureInfo.InvariantCulture)), new("protocol", IpvsNames.Protocol(s.Service.Key.Protocol)),
            ])).ToArray());

    private static Measurement<double>[] Backends(GorbApi api, Func<BackendEntry, DateTimeOffset, double> value)
    {
        var now = api.Now;
        return api.Read(tables => tables.Services.Values.OrderBy(s => s.Id, StringComparer.Ordinal).SelectMany(tables.BackendsOf)
            .Select(b => new Measurement<double>(value(b, now),
            [
                new("service_name", b.ServiceId), new("name", b.Id), new("host", b.Destination.Key.Address.ToString()),
                new("port", b.Destination.Key.Port.ToString(CultureInfo.InvariantCulture)),
            ])).ToArray());
    }

    /// <summary>GORB: the mean health of the backends, 1.0 with none.</summary>
    public static double ServiceHealth(ServeTables tables, ServiceEntry service) =>
        service.Backends.Count == 0 ? 1.0 : tables.BackendsOf(service).Average(b => b.Health);

    /// <summary>Whole seconds since the health check last came up; 0 while down.</summary>
    public static long Uptime(BackendEntry backend, DateTimeOffset now) =>
        backend.Status == GorbStatus.Up ? Math.Max(0, (long)(now - backend.UpSince).TotalSeconds) : 0;
}
