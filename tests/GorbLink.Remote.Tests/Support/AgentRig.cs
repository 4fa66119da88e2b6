using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using GorbLink.Remote.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Tests.Support;

/// <summary>
/// The agent in remote mode, in-process: a container store (standing in for the Docker side, which only ever fills
/// it), and <see cref="RemoteAgent"/> (feed + one sink per daemon) running against real daemons over loopback HTTP.
/// Timings are short so that the tests run fast; every wait in the tests has a generous deadline.
/// </summary>
internal sealed class AgentRig : IAsyncDisposable
{
    public static readonly IPAddress HostAddress = IPAddress.Parse("10.0.0.5");

    private readonly Dictionary<string, ContainerRecord> _containers = new(StringComparer.Ordinal);
    private CancellationTokenSource? _stop;
    private Task? _running;
    private ServiceProvider? _services;

    public AgentRig(IReadOnlyList<string> daemons, string? stateDirectory = null, string? token = null)
    {
        Daemons = daemons;
        Token = token;
        StateDirectory = stateDirectory ?? Directory.CreateTempSubdirectory("gorblink-agent-").FullName;
    }

    public IReadOnlyList<string> Daemons { get; }
    public string? Token { get; }
    public string StateDirectory { get; }
    public ContainerStore Store { get; private set; } = new();
    public RemoteAgent? Agent { get; private set; }
    public CapturingLoggerProvider Logs { get; private set; } = new();

    /// <summary>This host's kernel sink (--local), made anew for every start; it joins the agent's one pipeline.</summary>
    public Func<PipelineSink>? Local { get; init; }

    /// <summary>Changes <see cref="Options"/> before the agent is created (e.g. tighter timeouts for one test).</summary>
    public Func<RemoteOptions, RemoteOptions>? Tune { get; init; }

    public RemoteOptions Options => new()
    {
        Endpoints = [.. Daemons.Select(RemoteEndpoint.Parse)],
        Token = Token,
        StateDirectory = StateDirectory,
        ResyncInterval = TimeSpan.FromSeconds(30),
        ProbeInterval = TimeSpan.FromMilliseconds(200),
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(1),
        RetryInterval = TimeSpan.FromMilliseconds(500),
        CoalesceDelay = TimeSpan.FromMilliseconds(20),
        Resilience = new RemoteResilienceOptions
        {
            AttemptTimeout = TimeSpan.FromSeconds(2),
            TotalTimeout = TimeSpan.FromSeconds(6),
            MaxRetries = 1,
            RetryDelay = TimeSpan.FromMilliseconds(50),
            MinimumThroughput = 2,
            FailureRatio = 0.5,
            SamplingDuration = TimeSpan.FromSeconds(10),
            BreakDuration = TimeSpan.FromMilliseconds(1500),
        },
    };

    public static ContainerRecord Container(string name, ushort hostPort, string service = "web", ushort port = 80, string protocol = "tcp",
        int? weight = null, string? vip = null, ContainerLifecycle lifecycle = ContainerLifecycle.Running, string? scheduler = null)
    {
        var labels = ImmutableDictionary<string, string>.Empty.Add("gorb.enable", "true").Add("gorb.service", service);
        if (weight is { } w) labels = labels.Add("gorb.weight", w.ToString(CultureInfo.InvariantCulture));
        if (vip is not null) labels = labels.Add("gorb.vip", vip);
        if (scheduler is not null) labels = labels.Add("gorb.scheduler", scheduler);
        return new ContainerRecord
        {
            Id = Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(name)).PadRight(24, '0'),
            Name = name,
            Image = "nginx:1.27",
            Labels = labels,
            Lifecycle = lifecycle,
            ExposedPorts = [$"{port}/{protocol}"],
            PublishedPorts = [new PortBinding(port, protocol, IPAddress.Any, hostPort)],
        };
    }

    /// <summary>Adds or replaces containers and publishes the full list, as the Docker watcher does.</summary>
    public AgentRig Set(params ContainerRecord[] containers)
    {
        foreach (var c in containers) _containers[c.Name] = c;
        Store.ReplaceAll(_containers.Values);
        return this;
    }

    public AgentRig Remove(string name)
    {
        _containers.Remove(name);
        Store.ReplaceAll(_containers.Values);
        return this;
    }

    public void Start()
    {
        if (_running is not null) throw new InvalidOperationException("already running");
        Logs = new CapturingLoggerProvider();
        Store = new ContainerStore();
        Store.ReplaceAll(_containers.Values);
        var labels = LabelOptions.ForInterface([HostAddress]);
        var options = Tune is null ? Options : Tune(Options);
        var loggers = Logs.Factory();
        // Composed as the executable composes it: the daemon clients in a service collection, the agent over them.
        // HttpClient's and Polly's own per-attempt lines stay out of the captured log, as the host filters them.
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var clients = services.AddGorbDaemonClients(options, loggers.CreateLogger("GorbLink.Remote"));
        _services = services.BuildServiceProvider();
        Agent = RemoteAgent.Create(Store, labels, options, loggers, _services.GetRequiredService<IHttpClientFactory>(), clients, local: Local?.Invoke());
        _stop = new CancellationTokenSource();
        _running = Agent.RunAsync(_stop.Token);
    }

    public async Task StopAsync()
    {
        if (_running is null) return;
        await _stop!.CancelAsync();
        await _running;
        await _services!.DisposeAsync();
        _services = null;
        _running = null;
        _stop.Dispose();
        Agent = null;
    }

    public RemoteDaemon Daemon(TestDaemon daemon) =>
        Agent!.Daemons.Single(d => d.Endpoint.Name == daemon.Endpoint);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(StateDirectory, recursive: true); }
        catch (IOException) { }
    }
}
