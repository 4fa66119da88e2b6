using System.Net;
using System.Net.Sockets;
using GorbLink.Remote.Server;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Tests.Support;

/// <summary>
/// `gorblink serve` in-process on 127.0.0.1 over an in-memory kernel: real Kestrel, real HTTP. Stop and start it again
/// on the same port (kernel and state directory kept, as after a daemon restart, or fresh, as after a reboot).
/// </summary>
internal sealed class TestDaemon : IAsyncDisposable
{
    public static readonly IPAddress DefaultHost = IPAddress.Parse("10.1.0.1");

    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;

    private readonly Func<ServeOptions, ServeOptions>? _configure;

    private TestDaemon(int port, bool pulses, string? token, Func<ServeOptions, ServeOptions>? configure)
    {
        _configure = configure;
        Port = port;
        Pulses = pulses;
        Token = token;
        StateDirectory = Directory.CreateTempSubdirectory("gorblink-serve-").FullName;
        _loggerFactory = _logs.Factory();
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) Http.DefaultRequestHeaders.Authorization = new("Bearer", token);
    }

    public FakeIpvsClient Kernel { get; private set; } = new();
    public string StateDirectory { get; private set; }
    public int Port { get; }
    public bool Pulses { get; }
    public string? Token { get; }
    public GorbServer? Server { get; private set; }
    public HttpClient Http { get; }
    public CapturingLoggerProvider Logs => _logs;
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    /// <summary>As given to gorblink run -r.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";
    public bool Running => Server is not null;

    /// <summary>A daemon on a free port; started unless <paramref name="start"/> is false (the port is then reserved for later).</summary>
    /// <param name="configure">Changes the serve options (e.g. --max-concurrent-checks) before every start.</param>
    public static async Task<TestDaemon> CreateAsync(bool start = true, bool pulses = false, string? token = null, Func<ServeOptions, ServeOptions>? configure = null)
    {
        var daemon = new TestDaemon(FreePort(), pulses, token, configure);
        if (start) await daemon.StartAsync();
        return daemon;
    }

    public async Task StartAsync(bool flush = false)
    {
        if (Server is not null) throw new InvalidOperationException("already running");
        var options = new ServeOptions
        {
            Listen = $"127.0.0.1:{Port}",
            DefaultHost = DefaultHost,
            StateDirectory = StateDirectory,
            Flush = flush,
            Token = Token,
            EnablePulses = Pulses,
            MaxBodyBytes = 64 * 1024,
            // Its own meter: daemons of parallel tests must not see each other's gauges.
            Metrics = new Remote.Metrics.MetricsExportOptions { Prometheus = true, MeterName = "GorbLink.Tests." + Guid.NewGuid().ToString("N") },
        };
        if (_configure is not null) options = _configure(options);
        Server = await GorbServer.StartAsync(options, Kernel, _loggerFactory);
    }

    public async Task StopAsync()
    {
        if (Server is null) return;
        await Server.DisposeAsync();
        Server = null;
    }

    /// <summary>Stop; optionally lose everything (kernel and state file), as a rebooted director would; start again on the same port.</summary>
    public async Task RestartAsync(bool freshKernelAndState = false)
    {
        await StopAsync();
        if (freshKernelAndState)
        {
            Kernel = new FakeIpvsClient();
            StateDirectory = Directory.CreateTempSubdirectory("gorblink-serve-").FullName;
        }
        await StartAsync();
    }

    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
        _loggerFactory.Dispose();
        try { Directory.Delete(StateDirectory, recursive: true); }
        catch (IOException) { }
    }
}
