using System.Net;
using System.Text;
using System.Text.Json;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;
using GorbLink.Fuzz.Tests.Support;
using GorbLink.Netlink;
using GorbLink.Remote.Server;
using GorbLink.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Fuzz.Tests.Remote;

/// <summary>
/// `gorblink serve` started through its production entry point (<see cref="GorbServer.StartAsync"/>) on 127.0.0.1 over
/// the in-memory kernel, with foreign services in the kernel that serve must never touch. Health checks are off: a
/// fuzzed pulse host would be probed off this machine. Observes serve's desired state as it saved it
/// (serve-state.json, what a restart adopts) and the kernel's table.
/// </summary>
public sealed class ServeUnderFuzz : IAsyncDisposable
{
    public static readonly IPAddress DefaultHost = IPAddress.Parse("10.1.0.1");

    /// <summary>Someone else's services (ipvsadm, keepalived): one at a VIP and port the fuzzed requests ask for too.</summary>
    public static readonly DesiredService[] Foreign =
    [
        KernelTables.Service(KernelTables.Tcp("10.1.0.2", 443), new VirtualServiceSpec { Scheduler = "sh" },
            KernelTables.Dest("10.0.0.5", 8080, new DestinationSpec { Weight = 7 })),
        KernelTables.Service(KernelTables.Udp("10.1.0.1", 53), new VirtualServiceSpec { Scheduler = "rr" },
            KernelTables.Dest("10.0.0.6", 53, new DestinationSpec { Weight = 3, Forward = ForwardMethod.DirectRoute })),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("gorblink-fuzz-serve-").FullName;
    private GorbServer? _server;

    private ServeUnderFuzz()
    {
        foreach (var service in Foreign) Kernel.AddForeign(service);
        ForeignDump = DumpOf(Foreign.Select(s => s.Key));
    }

    public FakeIpvsClient Kernel { get; } = new();
    public HttpClient Http { get; private set; } = new();
    public string ForeignDump { get; }

    private ServeOptions Options => new()
    {
        Listen = "127.0.0.1:0",
        DefaultHost = DefaultHost,
        StateDirectory = _directory,
        EnablePulses = false,
        MaxBodyBytes = 4096,
        RetryMinimum = TimeSpan.FromMilliseconds(20),
        RetryMaximum = TimeSpan.FromMilliseconds(200),
    };

    public static async Task<ServeUnderFuzz> StartAsync()
    {
        var serve = new ServeUnderFuzz();
        await serve.StartServerAsync();
        return serve;
    }

    private async Task StartServerAsync()
    {
        _server = await GorbServer.StartAsync(Options, Kernel, NullLoggerFactory.Instance);
        Http.Dispose();
        Http = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task RestartAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _server = null;
        await StartServerAsync();
    }

    /// <summary>Injects <paramref name="fault"/> into the kernel for the pass of the next request.</summary>
    public void Inject(RestFault fault)
    {
        switch (fault)
        {
            case RestFault.NetlinkFailure:
                Kernel.FailNextBatch = new NetlinkException("receive", Errno.EIO);
                break;
            case RestFault.ProtocolFailure:
                Kernel.FailNextBatch = new NetlinkProtocolException("ACK shorter than an nlmsgerr");
                break;
            case RestFault.RefuseWrites:
                Kernel.Refuse = _ => Errno.EPERM.Value;
                break;
        }
    }

    public void ClearFaults()
    {
        Kernel.FailNextBatch = null;
        Kernel.Refuse = null;
    }

    /// <summary>serve-state.json as serve last wrote it, written out again the same way (no file: no services, no backends).</summary>
    public string SavedState
    {
        get
        {
            var document = ServeStateFile.Read(StatePath) ?? new ServeStateDocument();
            document.Services ??= [];
            document.Backends ??= [];
            return JsonSerializer.Serialize(document, ServeJsonContext.Default.ServeStateDocument);
        }
    }

    private string StatePath => Path.Combine(_directory, "serve-state.json");

    /// <summary>
    /// The kernel table serve's saved state asks for, as the kernel reports it: every service with its backends at the
    /// weight the client set (health checks are off, so none is held at 0).
    /// </summary>
    public string DesiredDump()
    {
        var document = ServeStateFile.Read(StatePath);
        if (document is null) return "";
        var services = new Dictionary<string, (ServiceEntry Entry, List<Destination> Destinations)>(StringComparer.Ordinal);
        foreach (var saved in document.Services ?? [])
        {
            var entry = ServeValidation.BuildService(saved!.Id!, saved.Options!, IPAddress.Parse(saved.Address!));
            services.Add(entry.Id, (entry, []));
        }
        foreach (var saved in document.Backends ?? [])
        {
            var (service, destinations) = services[saved!.Service!];
            destinations.Add(ServeValidation.BuildBackend(saved.Id!, service, saved.Options!, IPAddress.Parse(saved.Address!), savedWeight: true).Destination);
        }
        return Dump(services.Values.Select(s => KernelTables.Readback(new DesiredService(s.Entry.Service, s.Destinations))));
    }

    /// <summary>The kernel's table without the foreign services, as <see cref="DesiredDump"/> writes it.</summary>
    public string OwnedKernelDump()
    {
        var foreign = Foreign.Select(s => s.Key).ToHashSet();
        return Dump(Kernel.GetTableAsync().GetAwaiter().GetResult().Where(t => !foreign.Contains(t.Key)));
    }

    /// <summary>The foreign services as they are in the kernel now.</summary>
    public string ForeignNow() => DumpOf(Foreign.Select(s => s.Key));

    private string DumpOf(IEnumerable<VirtualServiceKey> keys)
    {
        var wanted = keys.ToHashSet();
        return Dump(Kernel.GetTableAsync().GetAwaiter().GetResult().Where(t => wanted.Contains(t.Key)));
    }

    private static string Dump(IEnumerable<VirtualServiceTable> tables) => Tables.Dump(tables);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        Http.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    internal static string Text(byte[]? body) => body is null ? "" : Encoding.UTF8.GetString(body);
}
