using System.Globalization;
using System.Text;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Server;

/// <summary>GORB's Prometheus gauges (core/prometheus_exporter.go): same names and labels; uptime in real seconds.</summary>
internal static class ServeMetrics
{
    public static string Write(ServeTables tables, DateTimeOffset now)
    {
        var text = new StringBuilder();
        var ic = CultureInfo.InvariantCulture;
        var services = tables.Services.Values.OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        void Header(string name, string help) => text.Append(ic, $"# HELP {name} {help}\n# TYPE {name} gauge\n");
        static string ServiceLabels(ServiceEntry s) =>
            $"name=\"{Escape(s.Id)}\",host=\"{Escape(s.Service.Key.Address?.ToString() ?? "")}\",port=\"{s.Service.Key.Port}\",protocol=\"{IpvsNames.Protocol(s.Service.Key.Protocol)}\"";

        Header("gorb_service_health", "Health of the service: the mean health of its backends, 1 with none");
        foreach (var s in services) text.Append(ic, $"gorb_service_health{{{ServiceLabels(s)}}} {Number(ServiceHealth(tables, s))}\n");
        Header("gorb_service_backends", "Number of backends of the service");
        foreach (var s in services) text.Append(ic, $"gorb_service_backends{{{ServiceLabels(s)}}} {s.Backends.Count}\n");

        var backends = services.SelectMany(tables.BackendsOf).ToList();
        static string BackendLabels(BackendEntry b) =>
            $"service_name=\"{Escape(b.ServiceId)}\",name=\"{Escape(b.Id)}\",host=\"{Escape(b.Destination.Key.Address.ToString())}\",port=\"{b.Destination.Key.Port}\"";
        Header("gorb_service_backend_uptime_seconds", "Seconds since the backend's health check last came up");
        foreach (var b in backends) text.Append(ic, $"gorb_service_backend_uptime_seconds{{{BackendLabels(b)}}} {Uptime(b, now)}\n");
        Header("gorb_service_backend_health", "Share of successful health checks among the last 100");
        foreach (var b in backends) text.Append(ic, $"gorb_service_backend_health{{{BackendLabels(b)}}} {Number(b.Health)}\n");
        Header("gorb_service_backend_status", "Health-check status: 0 up, 1 down, 2 removed");
        foreach (var b in backends) text.Append(ic, $"gorb_service_backend_status{{{BackendLabels(b)}}} {b.Status}\n");
        Header("gorb_service_backend_weight", "Weight of the backend in the kernel");
        foreach (var b in backends) text.Append(ic, $"gorb_service_backend_weight{{{BackendLabels(b)}}} {b.KernelWeight}\n");
        return text.ToString();
    }

    /// <summary>GORB: the mean health of the backends, 1.0 with none.</summary>
    public static double ServiceHealth(ServeTables tables, ServiceEntry service) =>
        service.Backends.Count == 0 ? 1.0 : tables.BackendsOf(service).Average(b => b.Health);

    /// <summary>Whole seconds since the health check last came up; 0 while down.</summary>
    public static long Uptime(BackendEntry backend, DateTimeOffset now) =>
        backend.Status == GorbStatus.Up ? Math.Max(0, (long)(now - backend.UpSince).TotalSeconds) : 0;

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
