using System.CommandLine;
using System.Globalization;

namespace GorbLink.Cli;

/// <summary>
/// The options of `gorblink run` (also the root command, so `gorblink -i eth0` runs the agent).
/// gorb-docker-link's flags (-i, -r, -v) keep their meaning. Every option can also come from an environment
/// variable GORBLINK_&lt;OPTION&gt; (e.g. GORBLINK_DRAIN_TIMEOUT=10s); a flag wins over the variable.
/// </summary>
internal sealed class RunCommand
{
    private readonly Option<string> _interface = Text("--interface", "eth0", "Interface whose first IPv4 address is the default VIP and replaces 0.0.0.0 bindings", "-i");
    private readonly Option<string[]> _remote = new("--remote", "-r")
    {
        Description = "GORB control daemon host:port to keep in sync (repeatable); turns local kernel writes off unless --local",
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => Env("REMOTE") is { } v ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [],
    };
    private readonly Option<string?> _remoteToken = OptionalText("--remote-token", "Bearer token sent to the remote daemons");
    private readonly Option<bool> _local = Flag("--local", "With --remote, also program the local kernel");
    private readonly SyncDaemonOptions _syncDaemon = new();
    private readonly Option<bool> _verbose = Flag("--verbose", "Debug logging", "-v");
    private readonly Option<string?> _dockerHost = OptionalText("--docker-host", "Docker endpoint (default: DOCKER_HOST, else unix:///var/run/docker.sock)");
    private readonly Option<string> _labelPrefix = Text("--label-prefix", "gorb", "Prefix of the labels GorbLink reads (gorb.enable, gorb.ports, ...)");
    private readonly Option<bool> _exposeByDefault = Flag("--expose-by-default", "Register containers without <prefix>.enable=true too");
    private readonly Option<TimeSpan> _resyncInterval = Duration("--resync-interval", TimeSpan.FromSeconds(60), "Full relist of containers and reconcile against the kernel, as a safety net");
    private readonly Option<TimeSpan> _drainTimeout = Duration("--drain-timeout", TimeSpan.FromSeconds(30), "Longest a leaving destination keeps weight 0 before it is deleted");
    private readonly Option<bool> _dryRun = Flag("--dry-run", "Log every change that would be made; touch nothing");
    private readonly Option<LogFormat> _logFormat = LogFormatOption();
    private readonly Option<bool> _cleanupOnExit = Flag("--cleanup-on-exit", "On SIGTERM, remove every IPVS entry this agent created (default: leave them serving)");
    private readonly Option<string> _stateDirectory = Text("--state-dir", "/var/lib/gorblink", "Where the agent records what it created (state.json) and its status (status.json)");
    private readonly Option<string?> _metricsListen = ListenAddress("--metrics-listen", "Serve Prometheus /metrics and /healthz on ADDR:PORT (e.g. :9100, 127.0.0.1:9100); off by default");
    private readonly Option<string?> _otlpEndpoint = OtlpEndpoint("--otlp-endpoint", "Push the metrics by OTLP/HTTP (protobuf) to this receiver every 15 s (e.g. http://collector:4318); off by default");
    private readonly Option<string?> _vipInterface = OptionalText("--vip-interface", "Add each VIP in use that no interface has to this interface as a /32 (/128), and remove it when no service uses it");
    private readonly Option<GorbLink.Ipvs.IpvsTimeouts?> _ipvsTimeouts = IpvsTimeoutOptions.Create();
    private readonly Option<bool> _setSysctls = Flag("--set-sysctls", "Set net.ipv4.vs.conntrack, expire_nodest_conn and expire_quiescent_template to 1 at start, as kube-proxy does, for NAT to containers");

    public IEnumerable<Option> Options =>
    [
        _interface, _remote, _remoteToken, _local, _verbose, _dockerHost, _labelPrefix, _exposeByDefault,
        _resyncInterval, _drainTimeout, _dryRun, _logFormat, _cleanupOnExit, _stateDirectory,
        _metricsListen, _otlpEndpoint, _vipInterface, _setSysctls,
        _ipvsTimeouts,
    ];

    public RunOptions Bind(ParseResult parse) => new()
    {
        Interface = parse.GetValue(_interface)!,
        Remotes = parse.GetValue(_remote) ?? [],
        RemoteToken = parse.GetValue(_remoteToken),
        Local = parse.GetValue(_local),
        SyncDaemon = _syncDaemon.Bind(parse),
        Verbose = parse.GetValue(_verbose),
        DockerHost = parse.GetValue(_dockerHost),
        LabelPrefix = parse.GetValue(_labelPrefix)!,
        ExposeByDefault = parse.GetValue(_exposeByDefault),
        ResyncInterval = parse.GetValue(_resyncInterval),
        DrainTimeout = parse.GetValue(_drainTimeout),
        DryRun = parse.GetValue(_dryRun),
        LogFormat = parse.GetValue(_logFormat),
        CleanupOnExit = parse.GetValue(_cleanupOnExit),
        StateDirectory = parse.GetValue(_stateDirectory)!,
        MetricsListen = parse.GetValue(_metricsListen),
        OtlpEndpoint = parse.GetValue(_otlpEndpoint),
        VipInterface = parse.GetValue(_vipInterface),
        SetSysctls = parse.GetValue(_setSysctls),
        IpvsTimeouts = parse.GetValue(_ipvsTimeouts),
    };

    public void AddTo(Command command)
    {
        foreach (var option in Options) command.Options.Add(option);
        _syncDaemon.AddTo(command);
    }

    /// <summary>GORBLINK_&lt;NAME&gt;: the option's long name, upper case, dashes as underscores.</summary>
    internal static string? Env(string name) =>
        Environment.GetEnvironmentVariable("GORBLINK_" + name) is { Length: > 0 } value ? value : null;

    private static string EnvName(string option) => option.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    private static Option<string> Text(string name, string fallback, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, DefaultValueFactory = _ => Env(EnvName(name)) ?? fallback };

    private static Option<string?> OptionalText(string name, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => Env(EnvName(name)) };

    internal static Option<string?> ListenAddress(string name, string description)
    {
        var option = OptionalText(name, description);
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string?>();
            if (text is not null && !Metrics.MetricsServer.TryParseListen(text, out _, out var error))
                result.AddError($"{name}: {error}");
        });
        return option;
    }

    internal static Option<string?> OtlpEndpoint(string name, string description)
    {
        var option = OptionalText(name, description);
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string?>();
            if (text is not null && !Remote.Metrics.MetricsExport.TryParseOtlpEndpoint(text, out _, out var error))
                result.AddError($"{name}: {error}");
        });
        return option;
    }

    /// <summary>--log-format text|json, or GORBLINK_LOG_FORMAT; a bad value of either is an error.</summary>
    internal static Option<LogFormat> LogFormatOption() => new("--log-format")
    {
        Description = "text or json",
        DefaultValueFactory = result => Env("LOG_FORMAT") switch
        {
            null => LogFormat.Text,
            var text when Enum.TryParse<LogFormat>(text, ignoreCase: true, out var format) && Enum.IsDefined(format) => format,
            var other => Fail(result, $"GORBLINK_LOG_FORMAT=\"{other}\" is not text or json", LogFormat.Text),
        },
    };

    /// <summary>A boolean flag that GORBLINK_&lt;NAME&gt; (true/false, 1/0, yes/no) can also set.</summary>
    internal static Option<bool> Flag(string name, string description, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            DefaultValueFactory = result => Env(EnvName(name)) switch
            {
                null => false,
                "1" or "true" or "TRUE" or "True" or "yes" => true,
                "0" or "false" or "FALSE" or "False" or "no" => false,
                var other => Fail(result, $"GORBLINK_{EnvName(name)}=\"{other}\" is not a boolean (true/false)"),
            },
        };

    internal static Option<TimeSpan> Duration(string name, TimeSpan fallback, string description) =>
        new(name)
        {
            Description = description + " (e.g. 30s, 2m, 500ms)",
            CustomParser = result => ParseDuration(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, result, name),
            DefaultValueFactory = result => Env(EnvName(name)) is { } env ? ParseDuration(env, result, $"GORBLINK_{EnvName(name)}") : fallback,
        };

    private static TimeSpan ParseDuration(string? text, System.CommandLine.Parsing.ArgumentResult result, string what)
    {
        if (TryParseDuration(text, out var value) && value > TimeSpan.Zero) return value;
        result.AddError($"{what}: \"{text}\" is not a positive duration (e.g. 30s, 2m, 500ms)");
        return TimeSpan.Zero;
    }

    internal static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        (string suffix, double scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) &&
                double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                value = TimeSpan.FromSeconds(n * scale);
                return true;
            }
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        return false;
    }

    internal static T Fail<T>(System.CommandLine.Parsing.ArgumentResult result, string message, T value)
    {
        result.AddError(message);
        return value;
    }

    private static bool Fail(System.CommandLine.Parsing.ArgumentResult result, string message) => Fail(result, message, false);
}
