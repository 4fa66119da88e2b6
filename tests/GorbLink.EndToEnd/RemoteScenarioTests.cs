using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static GorbLink.EndToEnd.Testbed;

namespace GorbLink.EndToEnd;

/// <summary>
/// Issue 5 in the VM: Docker Engine -> `gorblink run -r` -> `gorblink serve` (loopback HTTP) -> kernel IPVS -> real
/// traffic through the VIP, and the daemon stopped and restarted while containers change. The director and the Docker
/// host are the same VM here: the daemon's -i eth0 address is the VIP, the backends are eth0:published port.
/// The gorblink binary is <see cref="Vm.Gorblink"/> (GORBLINK_BINARY, else the Debug build).
/// </summary>
[TestMethodOrderer(typeof(ByMethodName))]
public sealed class RemoteScenarioTests : IDisposable
{
    private const string Http = "-t " + Vip + ":80";
    private const string Listen = "127.0.0.1:14672";
    private static string Bin => Vm.Gorblink;

    private Scenario? _scenario;
    private readonly List<GorblinkProcess> _processes = [];

    public void Dispose()
    {
        foreach (var process in _processes) process.Dispose();
        if (_scenario is not { } s) return;
        var result = TestContext.Current.TestState?.Result;
        s.Dispose();
        Console.WriteLine($"  [{s.Name}] {(result is null ? "done" : result.ToString()!.ToUpperInvariant())} in {s.Elapsed.TotalSeconds:0.0} s");
    }

    private GorblinkProcess Start(Scenario s, string tag, params string[] arguments)
    {
        var process = GorblinkProcess.Start(Bin, tag, s.Output, arguments);
        _processes.Add(process);
        return process;
    }

    private static Container Web(string name) =>
        Docker.Run(name, ["-l", "gorb.enable=true", "-l", "gorb.scheduler=rr", "-p", "80"]);

    private static string Destination(Container container) => $"{Vip}:{Docker.HostPort(container.Name)}";

    [Fact]
    public void R1AgentToServeToKernelTrafficReachesTheContainersAndSurvivesADaemonRestart()
    {
        var s = _scenario = Scenario.Begin(nameof(R1AgentToServeToKernelTrafficReachesTheContainersAndSurvivesADaemonRestart));
        var serveState = Path.Combine(s.StateDirectory, "serve");
        var serve = Start(s, "[serve]", "serve", "-i", "eth0", "-l", Listen, "--state-dir", serveState);
        serve.WaitForLine("listening", l => l.Contains("listening on", StringComparison.Ordinal));
        Start(s, "[agent -r]", "run", "-i", "eth0", "--state-dir", s.StateDirectory, "-r", Listen, "--resync-interval", "10s");

        var web = new[] { Web("r1-web1"), Web("r1-web2"), Web("r1-web3") };
        var destinations = web.Select(Destination).ToArray();
        s.Note($"three containers registered through the daemon in {s.UntilDestinations(Http, destinations).TotalSeconds:0.0} s");
        Assert.Contains(Http + " -s rr", string.Join('\n', IpvsTable.Read().Lines), StringComparison.Ordinal);
        var answered = Traffic.Hostnames(9).ToHashSet();
        Assert.Equal(web.Select(c => c.Hostname).Order(), answered.Order());

        Docker.Cli("rm", "-f", web[1].Name);
        s.UntilDestinations(Http, [destinations[0], destinations[2]]);

        // The daemon goes away; containers change meanwhile; the kernel keeps serving what it had.
        Assert.Equal(0, serve.Terminate());
        Docker.Cli("rm", "-f", web[2].Name);
        var web4 = Web("r1-web4");
        Thread.Sleep(3000);
        Assert.Equal(Sorted(destinations[0], destinations[2]), IpvsTable.Read().AddressesOf(Http));

        Start(s, "[serve#2]", "serve", "-i", "eth0", "-l", Listen, "--state-dir", serveState)
            .WaitForLine("adopted", l => l.Contains("adopted 1 services and 2 backends", StringComparison.Ordinal));
        s.Note($"converged after the daemon restart in {s.UntilDestinations(Http, [destinations[0], Destination(web4)]).TotalSeconds:0.0} s");
        Assert.Equal(Sorted(web[0].Hostname, web4.Hostname), Traffic.Hostnames(6).ToHashSet().Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Issue 13: `serve` is level-triggered. Its service is deleted from the kernel by hand (ipvsadm -D), then the whole
    /// table is flushed (ipvsadm -C) and a foreign service put back: each time serve's service and backends come back
    /// within a resync, and the foreign service (made with ipvsadm, not over REST) is never touched.
    /// </summary>
    [Fact]
    public void R2ServeRestoresItsOwnServiceAfterAFlushAndNeverTouchesForeignEntries()
    {
        var s = _scenario = Scenario.Begin(nameof(R2ServeRestoresItsOwnServiceAfterAFlushAndNeverTouchesForeignEntries), docker: false);
        const string own = "-t " + Vip + ":8080";
        const string foreign = "-t 10.250.0.1:443";
        var serve = Start(s, "[serve]", "serve", "-i", "eth0", "-l", Listen, "--state-dir", Path.Combine(s.StateDirectory, "serve"),
            "--resync-interval", "2s");
        serve.WaitForLine("listening", l => l.Contains("listening on", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = new Uri($"http://{Listen}/") };
        Send(http, HttpMethod.Put, "/service/r2-web", """{"port":8080,"method":"rr"}""");
        Send(http, HttpMethod.Put, "/service/r2-web/b1", """{"host":"10.200.0.1","port":80,"weight":5,"pulse":{"type":"none"}}""");
        Send(http, HttpMethod.Put, "/service/r2-web/b2", """{"host":"10.200.0.2","port":80,"weight":9,"pulse":{"type":"none"}}""");
        Vm.Sh($"ipvsadm -A {foreign} -s sh && ipvsadm -a {foreign} -r 10.250.0.2:443 -m -w 7");
        var ownBefore = OwnLines(IpvsTable.Read(), own);
        var foreignBefore = OwnLines(IpvsTable.Read(), foreign);
        Assert.Equal(3, ownBefore.Length); // the service and its two backends, written by serve
        Assert.Equal(2, foreignBefore.Length);

        Vm.Sh($"ipvsadm -D {own}");
        Assert.False(IpvsTable.Read().Services.ContainsKey(own));
        s.Note($"restored after ipvsadm -D in {s.Until("serve's service back after ipvsadm -D", () => OwnLines(IpvsTable.Read(), own).SequenceEqual(ownBefore), TimeSpan.FromSeconds(30)).TotalSeconds:0.0} s");
        Assert.Equal(foreignBefore, OwnLines(IpvsTable.Read(), foreign));

        Vm.Sh($"ipvsadm -C && ipvsadm -A {foreign} -s sh && ipvsadm -a {foreign} -r 10.250.0.2:443 -m -w 7");
        s.Note($"restored after ipvsadm -C in {s.Until("serve's service back after ipvsadm -C", () => OwnLines(IpvsTable.Read(), own).SequenceEqual(ownBefore), TimeSpan.FromSeconds(30)).TotalSeconds:0.0} s");
        Thread.Sleep(3000); // another resync or two: the foreign service stays as it was made
        Assert.Equal(foreignBefore, OwnLines(IpvsTable.Read(), foreign));
        Assert.Equal(ownBefore, OwnLines(IpvsTable.Read(), own));
        Assert.Equal(0, serve.Terminate());
    }

    /// <summary>The -A line of <paramref name="service"/> and its -a lines, sorted.</summary>
    private static string[] OwnLines(IpvsTable table, string service) =>
        [.. table.Lines.Where(l => l.Contains(service + " ", StringComparison.Ordinal) || l.EndsWith(service, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static void Send(HttpClient http, HttpMethod method, string path, string body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        using var response = http.Send(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {response.Content.ReadAsStringAsync().Result}");
    }

    private static IEnumerable<string> Sorted(params string[] values) => values.Order(StringComparer.Ordinal);

    /// <summary>A gorblink child process (serve, or run -r) whose log lines go to the test's output.</summary>
    private sealed class GorblinkProcess : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly Lock _gate = new();

        private GorblinkProcess(Process process) => _process = process;

        public static GorblinkProcess Start(string bin, string tag, Action<string> output, string[] arguments)
        {
            var start = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Vm.Repo };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            var process = new Process { StartInfo = start };
            var wrapper = new GorblinkProcess(process);
            DataReceivedEventHandler receive = (_, e) =>
            {
                if (e.Data is null) return;
                lock (wrapper._gate) wrapper._lines.Add(e.Data);
                try { output($"{tag} {e.Data}"); }
                catch (InvalidOperationException) { }
            };
            process.OutputDataReceived += receive;
            process.ErrorDataReceived += receive;
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            output($"{tag} $ gorblink {string.Join(' ', arguments)} (pid {process.Id})");
            return wrapper;
        }

        public GorblinkProcess WaitForLine(string what, Func<string, bool> match)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Scenario.Deadline)
            {
                lock (_gate)
                {
                    if (_lines.Any(match)) return this;
                }
                if (_process.HasExited) break;
                Thread.Sleep(100);
            }
            lock (_gate) Assert.Fail($"gorblink did not log {what}; its log:\n{string.Join('\n', _lines.TakeLast(30))}");
            return this;
        }

        public int Terminate()
        {
            if (!_process.HasExited) _ = kill(_process.Id, 15);
            if (!_process.WaitForExit(Scenario.Deadline)) Assert.Fail("gorblink did not exit after SIGTERM");
            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill();
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int signal);
    }
}
