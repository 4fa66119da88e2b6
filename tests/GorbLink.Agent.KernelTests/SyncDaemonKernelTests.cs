using System.Net;
using System.Net.Sockets;

namespace GorbLink.Agent.KernelTests;

/// <summary>
/// `gorblink serve --sync-daemon` against the real kernel's IPVS connection-sync daemons, each cross-checked with
/// `ipvsadm -L --daemon`: the roles GorbLink starts run with the settings asked for and are stopped on SIGTERM; a daemon
/// someone else started is left alone, before and after, and reported in `gorblink status` and /metrics; a refusal is
/// one line naming the interface and the kernel's reason. The kernel runs at most one master and one backup per network
/// namespace, so every test starts and ends with none.
/// </summary>
public sealed class SyncDaemonKernelTests : IDisposable
{
    private const string Device = "glsync0";
    private readonly string _state = Directory.CreateTempSubdirectory("gorblink-sync").FullName;
    private readonly ITestOutputHelper _output = TestContext.Current.TestOutputHelper!;

    /// <summary>serve took over 2 minutes to listen, and SIGTERM more than one to end it, in a TCG VM sharing 2 cores with two others.</summary>
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(6);

    public SyncDaemonKernelTests() => StopAll();

    public void Dispose()
    {
        StopAll();
        Node.Run("ip", "link", "del", Device);
        Directory.Delete(_state, recursive: true);
    }

    private static void StopAll()
    {
        Node.Run("ipvsadm", "--stop-daemon", "master");
        Node.Run("ipvsadm", "--stop-daemon", "backup");
    }

    /// <summary>`ipvsadm -L --daemon`: the kernel's daemons as ipvsadm reads them (GET_DAEMON), one line per role.</summary>
    private static string Daemons() => Node.Sh("ipvsadm -L --daemon");

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private string Status() => Node.Run(Node.Gorblink, "status", "--state-dir", _state).ToString();

    /// <summary>Both roles, with a group and port of their own: started as asked, shown as GorbLink's, stopped on exit.</summary>
    [Fact]
    public async Task BothRolesStartAsAskedAndStopOnExit()
    {
        Node.RequireKernel();
        Node.Dummy(Device);
        Node.Sh($"ip addr add 10.79.0.1/24 dev {Device}");
        var port = FreePort();
        int exitCode;
        using (var serve = Agent.Serve(_output.WriteLine, "-l", $"127.0.0.1:{port}", "-i", "lo", "--state-dir", _state,
            "--sync-daemon", "both", "--sync-interface", Device, "--sync-id", "7", "--sync-group", "239.7.7.7", "--sync-port", "8850"))
        {
            serve.WaitForEvent(5101, Slow);
            Assert.Equal(2, serve.WithEvent(3501).Count);
            var daemons = Daemons();
            _output.WriteLine(daemons);
            Assert.Contains($"master sync daemon (mcast={Device}, syncid=7, maxlen=1472, group=239.7.7.7, port=8850,", daemons, StringComparison.Ordinal);
            Assert.Contains($"backup sync daemon (mcast={Device}, syncid=7, maxlen=1472, group=239.7.7.7, port=8850,", daemons, StringComparison.Ordinal);

            var status = Status();
            _output.WriteLine(status);
            Assert.Contains($"master on {Device}, sync id 7, group 239.7.7.7, port 8850: started by GorbLink", status, StringComparison.Ordinal);
            Assert.Contains($"backup on {Device}, sync id 7, group 239.7.7.7, port 8850: started by GorbLink", status, StringComparison.Ordinal);

            // GORB's gauges sit beside the sync daemons' on one /metrics; a gauge shows only once it has a sample, so
            // serve is given one service (on the dummy's address) and it is removed again before exit.
            var token = TestContext.Current.CancellationToken;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30), BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            using (var put = await http.PutAsync("service/sync-web", new StringContent("""{"host":"10.79.0.1","port":80}""", System.Text.Encoding.UTF8, "application/json"), token))
                Assert.True(put.IsSuccessStatusCode, $"PUT service/sync-web: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync(token)}");
            var lines = PrometheusScrape.Lines(await http.GetStringAsync("metrics", token));
            Assert.Equal(1, PrometheusScrape.Value(lines, "gorblink_sync_daemon", ("role", "master"), ("state", "running"), ("interface", Device), ("syncid", "7")));
            Assert.Equal(1, PrometheusScrape.Value(lines, "gorblink_sync_daemon", ("role", "backup"), ("state", "running"), ("interface", Device), ("syncid", "7")));
            Assert.Equal(0, PrometheusScrape.ValueWith(lines, "gorb_service_backends", ("name", "sync-web")));
            using (var delete = await http.DeleteAsync("service/sync-web", token))
                Assert.True(delete.IsSuccessStatusCode, $"DELETE service/sync-web: {(int)delete.StatusCode}");

            exitCode = serve.Terminate(Slow);
        }
        Assert.Equal(0, exitCode);
        Assert.Equal("", Daemons().Trim());
    }

    /// <summary>
    /// A master someone else started (ipvsadm, another sync id) is left alone and reported as such; GorbLink starts the
    /// backup beside it and on exit stops only that.
    /// </summary>
    [Fact]
    public async Task AForeignMasterIsLeftAloneAndReported()
    {
        Node.RequireKernel();
        Node.Dummy(Device);
        Node.Sh($"ip addr add 10.79.0.1/24 dev {Device}");
        Node.Sh($"ipvsadm --start-daemon master --mcast-interface {Device} --syncid 9");
        var port = FreePort();
        int exitCode;
        using (var serve = Agent.Serve(_output.WriteLine, "-l", $"127.0.0.1:{port}", "-i", "lo", "--state-dir", _state,
            "--sync-daemon", "both", "--sync-interface", Device, "--sync-id", "7"))
        {
            serve.WaitForEvent(5101, Slow);
            var warning = Assert.Single(serve.WithEvent(3503)).GetProperty("msg").GetString();
            Assert.Equal($"a master sync daemon GorbLink did not start runs already on {Device}, sync id 9, with other settings (sync id 9, not 7): " +
                "left alone; stop it (ipvsadm --stop-daemon) to use GorbLink's", warning);
            var started = Assert.Single(serve.WithEvent(3501)).GetProperty("msg").GetString();
            Assert.StartsWith($"started the backup sync daemon on {Device}, sync id 7", started, StringComparison.Ordinal);
            var daemons = Daemons();
            _output.WriteLine(daemons);
            Assert.Contains($"master sync daemon (mcast={Device}, syncid=9,", daemons, StringComparison.Ordinal);
            Assert.Contains($"backup sync daemon (mcast={Device}, syncid=7,", daemons, StringComparison.Ordinal);

            var status = Status();
            _output.WriteLine(status);
            Assert.Contains($"master on {Device}, sync id 9, group 224.0.0.81, port 8848: not started by GorbLink, left alone (other settings than asked: sync id 9, not 7)",
                status, StringComparison.Ordinal);
            Assert.Contains($"backup on {Device}, sync id 7, group 224.0.0.81, port 8848: started by GorbLink", status, StringComparison.Ordinal);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", TestContext.Current.CancellationToken);
            Assert.Equal(1, PrometheusScrape.Value(PrometheusScrape.Lines(metrics), "gorblink_sync_daemon", ("role", "master"), ("state", "foreign"), ("interface", Device), ("syncid", "9")));
            Assert.Equal(1, PrometheusScrape.Value(PrometheusScrape.Lines(metrics), "gorblink_sync_daemon", ("role", "backup"), ("state", "running"), ("interface", Device), ("syncid", "7")));

            exitCode = serve.Terminate(Slow);
        }
        Assert.Equal(0, exitCode);
        var after = Daemons();
        Assert.Contains($"master sync daemon (mcast={Device}, syncid=9,", after, StringComparison.Ordinal);
        Assert.DoesNotContain("backup sync daemon", after, StringComparison.Ordinal);
    }

    /// <summary>The kernel's refusal of an interface that does not exist: one line naming it and the reason, exit 2, nothing left running.</summary>
    [Fact]
    public void AMissingInterfaceIsOneLineNamingItAndTheKernelsReason()
    {
        Node.RequireKernel();
        var result = Node.Run(Node.Gorblink, "serve", "-l", $"127.0.0.1:{FreePort()}", "-i", "lo", "--state-dir", _state,
            "--sync-daemon", "both", "--sync-interface", "glnosuch0");
        _output.WriteLine(result.ToString());
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Output.Split('\n'), l => l.Contains("glnosuch0", StringComparison.Ordinal));
        Assert.Contains("cannot start the master sync daemon on glnosuch0: ENODEV, no such network interface", line, StringComparison.Ordinal);
        Assert.Equal("", Daemons().Trim());
    }
}
