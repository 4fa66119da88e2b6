using System.CommandLine;
using GorbLink.Hosting;

namespace GorbLink.Cli;

/// <summary>Everything `gorblink serve` was told.</summary>
internal sealed record ServeSettings
{
    public string Listen { get; init; } = ":4672";
    public string Interface { get; init; } = "eth0";
    public bool Flush { get; init; }
    public SyncDaemonSettings? SyncDaemon { get; init; }
    public string? VipInterface { get; init; }
    public string StateDirectory { get; init; } = "/var/lib/gorblink";
    public string? Token { get; init; }
    public int MaxConcurrentChecks { get; init; } = 32;
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(10);
    public bool Verbose { get; init; }
    public LogFormat LogFormat { get; init; } = LogFormat.Text;
    public GorbLink.Ipvs.IpvsTimeouts? IpvsTimeouts { get; init; }
    public string? MetricsListen { get; init; }
    public string? OtlpEndpoint { get; init; }
}

/// <summary>
/// `gorblink serve`: a GORB-compatible control daemon (GORB's -l, -i, -f flags) that programs this host's kernel in-process,
/// level-triggered: what someone else deletes from the kernel comes back within --resync-interval.
/// Options also come from GORBLINK_&lt;OPTION&gt; environment variables, like `gorblink run`'s.
/// </summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var listen = new Option<string>("--listen", "-l")
        {
            Description = "HTTP listen address, Go style (:4672 = every address, 127.0.0.1:4672, [::1]:4672)",
            DefaultValueFactory = _ => RunCommand.Env("LISTEN") ?? ":4672",
        };
        var @interface = new Option<string>("--interface", "-i")
        {
            Description = "Interface whose first address is the VIP of a service that gives no host",
            DefaultValueFactory = _ => RunCommand.Env("INTERFACE") ?? "eth0",
        };
        var flush = RunCommand.Flag("--flush", "Flush every IPVS service on start (default: adopt this daemon's own entries from the last run)", "-f");
        var vipInterface = new Option<string?>("--vip-interface")
        {
            Description = "Add each service's VIP to this interface as a host address (/32, /128) while the service exists",
            DefaultValueFactory = _ => RunCommand.Env("VIP_INTERFACE"),
        };
        var stateDir = new Option<string>("--state-dir")
        {
            Description = "Where the daemon records its services and backends (serve-state.json) to adopt them after a restart",
            DefaultValueFactory = _ => RunCommand.Env("STATE_DIR") ?? "/var/lib/gorblink",
        };
        var token = new Option<string?>("--token")
        {
            Description = "Require \"Authorization: Bearer <token>\" on every request (gorblink run --remote-token)",
            DefaultValueFactory = _ => RunCommand.Env("TOKEN"),
        };
        var checks = new Option<int>("--max-concurrent-checks")
        {
            Description = "Health checks running at once, over all backends",
            DefaultValueFactory = result => RunCommand.Env("MAX_CONCURRENT_CHECKS") switch
            {
                null => 32,
                var text when int.TryParse(text, out var n) && n >= 1 => n,
                var other => RunCommand.Fail(result, $"GORBLINK_MAX_CONCURRENT_CHECKS=\"{other}\" is not a number of at least 1", 32),
            },
        };
        checks.Validators.Add(r =>
        {
            // The default (from GORBLINK_MAX_CONCURRENT_CHECKS) is checked where it is read; reading it here would throw.
            if (!r.Implicit && r.GetValueOrDefault<int>() < 1) r.AddError("--max-concurrent-checks must be at least 1");
        });
        var resync = RunCommand.Duration("--resync-interval", TimeSpan.FromSeconds(10),
            "Compare the kernel with the daemon's services at least this often, and put back what someone else deleted");
        var verbose = RunCommand.Flag("--verbose", "Debug logging", "-v");
        var logFormat = RunCommand.LogFormatOption();
        var ipvsTimeouts = IpvsTimeoutOptions.Create();
        var metricsListen = RunCommand.ListenAddress("--metrics-listen", "Also serve Prometheus /metrics on ADDR:PORT (e.g. :9100), apart from the API's GET /metrics; off by default");
        var otlpEndpoint = RunCommand.OtlpEndpoint("--otlp-endpoint", "Push the metrics by OTLP/HTTP (protobuf) to this receiver every 15 s (e.g. http://collector:4318); off by default");
        var command = new Command("serve", "Run a GORB-compatible control daemon (REST API on -l) that programs this host's IPVS table; Docker hosts feed it with `gorblink run -r`")
        {
            listen, @interface, flush, vipInterface, stateDir, token, checks, resync, verbose, logFormat,
            ipvsTimeouts, metricsListen, otlpEndpoint,
        };
        var syncDaemon = new SyncDaemonOptions();
        syncDaemon.AddTo(command);
        command.SetAction((parse, ct) => ServeHost.RunAsync(new ServeSettings
        {
            Listen = parse.GetValue(listen)!,
            Interface = parse.GetValue(@interface)!,
            Flush = parse.GetValue(flush),
            SyncDaemon = syncDaemon.Bind(parse),
            VipInterface = parse.GetValue(vipInterface),
            StateDirectory = parse.GetValue(stateDir)!,
            Token = parse.GetValue(token),
            MaxConcurrentChecks = parse.GetValue(checks),
            ResyncInterval = parse.GetValue(resync),
            Verbose = parse.GetValue(verbose),
            LogFormat = parse.GetValue(logFormat),
            IpvsTimeouts = parse.GetValue(ipvsTimeouts),
            MetricsListen = parse.GetValue(metricsListen),
            OtlpEndpoint = parse.GetValue(otlpEndpoint),
        }, ct));
        return command;
    }
}
