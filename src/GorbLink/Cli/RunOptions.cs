namespace GorbLink.Cli;

public enum LogFormat
{
    Text,
    Json,
}

/// <summary>Everything `gorblink run` was told, from flags or GORBLINK_* environment variables.</summary>
public sealed record RunOptions
{
    public string Interface { get; init; } = "eth0";
    public IReadOnlyList<string> Remotes { get; init; } = [];
    public string? RemoteToken { get; init; }
    public bool Local { get; init; }
    /// <summary>--sync-daemon and its options; null without it.</summary>
    public SyncDaemonSettings? SyncDaemon { get; init; }
    public bool Verbose { get; init; }
    public string? DockerHost { get; init; }
    public string LabelPrefix { get; init; } = "gorb";
    public bool ExposeByDefault { get; init; }
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public bool DryRun { get; init; }
    public LogFormat LogFormat { get; init; } = LogFormat.Text;
    public bool CleanupOnExit { get; init; }
    public string StateDirectory { get; init; } = "/var/lib/gorblink";
    public string? MetricsListen { get; init; }
    /// <summary>--otlp-endpoint: an OTLP/HTTP receiver to push the metrics to; null for none.</summary>
    public string? OtlpEndpoint { get; init; }
    public string? VipInterface { get; init; }
    public bool SetSysctls { get; init; }
    /// <summary>--ipvs-timeouts: the IPVS timeouts to set at start (0 keeps one); null leaves them alone.</summary>
    public GorbLink.Ipvs.IpvsTimeouts? IpvsTimeouts { get; init; }

    public string StateFile => Path.Combine(StateDirectory, "state.json");
    public string StatusFile => Path.Combine(StateDirectory, "status.json");
}
