using System.Globalization;
using GorbLink.Core.Metrics;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Server;

/// <summary>GORB's Prometheus gauges (core/prometheus_exporter.go): same names and labels; uptime in real seconds; written by the one Prometheus writer.</summary>
internal static class ServeMetrics
{
    public static string Write(ServeTables tables, DateTimeOffset now)
    {
        var text = new PrometheusText();
        var services = tables.Services.Values.OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        static (string, string)[] ServiceLabels(ServiceEntry s) =>
        [
            ("name", s.Id), ("host", s.Service.Key.Address?.ToString() ?? ""),
            ("port", s.Service.Key.Port.ToString(CultureInfo.InvariantCulture)), ("protocol", IpvsNames.Protocol(s.Service.Key.Protocol)),
        ];

        text.Family("gorb_service_health", "gauge", "Health of the service: the mean health of its backends, 1 with none");
        foreach (var s in services) text.Sample("gorb_service_health", ServiceHealth(tables, s), ServiceLabels(s));
        text.Family("gorb_service_backends", "gauge", "Number of backends of the service");
        foreach (var s in services) text.Sample("gorb_service_backends", s.Backends.Count, ServiceLabels(s));

        var backends = services.SelectMany(tables.BackendsOf).ToList();
        static (string, string)[] BackendLabels(BackendEntry b) =>
        [
            ("service_name", b.ServiceId), ("name", b.Id), ("host", b.Destination.Key.Address.ToString()),
            ("port", b.Destination.Key.Port.ToString(CultureInfo.InvariantCulture)),
        ];
        text.Family("gorb_service_backend_uptime_seconds", "gauge", "Seconds since the backend's health check last came up");
        foreach (var b in backends) text.Sample("gorb_service_backend_uptime_seconds", Uptime(b, now), BackendLabels(b));
        text.Family("gorb_service_backend_health", "gauge", "Share of successful health checks among the last 100");
        foreach (var b in backends) text.Sample("gorb_service_backend_health", b.Health, BackendLabels(b));
        text.Family("gorb_service_backend_status", "gauge", "Health-check status: 0 up, 1 down, 2 removed");
        foreach (var b in backends) text.Sample("gorb_service_backend_status", (double)b.Status, BackendLabels(b));
        text.Family("gorb_service_backend_weight", "gauge", "Weight of the backend in the kernel");
        foreach (var b in backends) text.Sample("gorb_service_backend_weight", b.KernelWeight, BackendLabels(b));
        return text.ToString();
    }

    /// <summary>GORB: the mean health of the backends, 1.0 with none.</summary>
    public static double ServiceHealth(ServeTables tables, ServiceEntry service) =>
        service.Backends.Count == 0 ? 1.0 : tables.BackendsOf(service).Average(b => b.Health);

    /// <summary>Whole seconds since the health check last came up; 0 while down.</summary>
    public static long Uptime(BackendEntry backend, DateTimeOffset now) =>
        backend.Status == GorbStatus.Up ? Math.Max(0, (long)(now - backend.UpSince).TotalSeconds) : 0;
}
