using System.Net;

namespace GorbLink.Remote.Server;

/// <summary>`gorblink serve`: a GORB-compatible control daemon whose REST API is a source of desired state for the kernel reconciler.</summary>
public sealed record ServeOptions
{
    /// <summary>
    /// The GorbLink meter's export: Prometheus text always (GET /metrics on the API port, as GORB; and --metrics-listen),
    /// OTLP with --otlp-endpoint. Tests give each daemon its own meter name.
    /// </summary>
    public Metrics.MetricsExportOptions Metrics { get; init; } = new() { Prometheus = true, ServiceName = "gorblink-serve" };

    /// <summary>-l: listen address, Go style: ":4672" (every address), "127.0.0.1:4672", "[::1]:0".</summary>
    public string Listen { get; init; } = ":4672";

    /// <summary>The address of a service whose host is empty: the first address of -i (GORB's default endpoint).</summary>
    public IPAddress? DefaultHost { get; init; }

    /// <summary>-f: flush every IPVS service in the namespace on start (GORB's meaning), instead of adopting its own.</summary>
    public bool Flush { get; init; }

    /// <summary>Where the daemon records its services and backends (serve-state.json), so that a restart adopts them.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>When set, every request must carry "Authorization: Bearer &lt;token&gt;".</summary>
    public string? Token { get; init; }

    /// <summary>Health checks running at once, over all backends.</summary>
    public int MaxConcurrentChecks { get; init; } = 32;

    /// <summary>Request bodies larger than this are refused with 413.</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Timeout of one TCP or HTTP health check (GORB: 5 s).</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of resolving a DNS name given as host.</summary>
    public TimeSpan ResolveTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Start health checks (off only in tests that want the weights to stay as written).</summary>
    public bool EnablePulses { get; init; } = true;

    /// <summary>
    /// The kernel is compared with the desired state at least this often, even when nothing changed, so that entries
    /// someone else deleted (ipvsadm -D, -C) come back.
    /// </summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After a kernel pass failed as a whole (netlink, permission) the next comes this soon, doubling up to <see cref="RetryMaximum"/>.</summary>
    public TimeSpan RetryMinimum { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaximum { get; init; } = TimeSpan.FromSeconds(30);

    public string StatePath => Path.Combine(StateDirectory, "serve-state.json");

    /// <summary>What serve created in the kernel, in the agent's ownership format (its own file: serve never touches the agent's entries).</summary>
    public string OwnershipPath => Path.Combine(StateDirectory, "serve-ownership.json");
}
