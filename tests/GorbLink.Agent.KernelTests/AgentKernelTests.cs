using System.Net;
using System.Text.RegularExpressions;
using GorbLink.Core.Vips;

namespace GorbLink.Agent.KernelTests;

/// <summary>
/// The built gorblink against the real kernel and a real dockerd, with --vip-interface, --set-sysctls and
/// --metrics-listen: VIPs come and go on the interface, the sysctls are written with their reasons, traffic through the
/// VIP shows in /metrics, /healthz answers, and the JSON log carries stable event ids.
/// </summary>
public sealed partial class AgentKernelTests : IDisposable
{
    private const string VipDevice = "glkvips0";
    private const string Prefix = "glk";
    private static readonly string[] Sysctls = ["conntrack", "expire_nodest_conn", "expire_quiescent_template"];
    private readonly string _state = Directory.CreateTempSubdirectory("gorblink-agent").FullName;
    private readonly Dictionary<string, string> _savedSysctls = [];
    private readonly ITestOutputHelper _output = TestContext.Current.TestOutputHelper!;

    public void Dispose()
    {
        Node.Run("/bin/sh", "-c", $"docker rm -f $(docker ps -aq --filter label={Prefix}.enable) 2>/dev/null");
        Node.Run("ip", "link", "del", VipDevice);
        foreach (var (name, value) in _savedSysctls) File.WriteAllText($"/proc/sys/net/ipv4/vs/{name}", value);
        Directory.Delete(_state, recursive: true);
    }

    private static string Web(string name, string vip) =>
        Node.Sh($"docker run -d --name {name} --expose 80 -l {Prefix}.enable=true -l {Prefix}.backend=container -l {Prefix}.vip={vip} " +
            "gorblink-test:latest sh -c 'mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 80 -h /www'").Trim();

    [Fact]
    public async Task VipsSysctlsMetricsAndHealthOnTheRealKernel()
    {
        Node.RequireKernel();
        Node.Sh($"{Node.Repo}/tests/vm/start-dockerd");
        Node.Dummy(VipDevice);
        Node.Sh($"ip addr add 10.98.8.8/32 dev {VipDevice}"); // the operator's: never to be removed
        foreach (var name in Sysctls)
        {
            _savedSysctls[name] = File.ReadAllText($"/proc/sys/net/ipv4/vs/{name}");
            File.WriteAllText($"/proc/sys/net/ipv4/vs/{name}", "0");
        }

        using var agent = Agent.Start(_output.WriteLine, "-i", "lo", "--label-prefix", Prefix, "--state-dir", _state, "--drain-timeout", "1s",
            "--vip-interface", VipDevice, "--set-sysctls", "--metrics-listen", "127.0.0.1:0");
        agent.WaitForEvent(1001);
        var endpoint = agent.WaitForEvent(1401).GetProperty("Endpoint").GetString();

        // --set-sysctls: each written, with kube-proxy's reason.
        Assert.All(Sysctls, name => Assert.Equal("1", File.ReadAllText($"/proc/sys/net/ipv4/vs/{name}").Trim()));
        var set = agent.WithEvent(1301).Select(e => e.GetProperty("msg").GetString()!).ToList();
        Assert.Equal(3, set.Count);
        Assert.Contains(set, m => m.StartsWith("set net.ipv4.vs.expire_nodest_conn = 1 (was 0): drop a connection", StringComparison.Ordinal));

        var web = Web("glk-web", "10.98.7.7");
        Web("glk-web2", "10.98.8.8");
        Agent.Until("10.98.7.7/32 on the VIP interface", () => Node.IpAddr(VipDevice).Contains("10.98.7.7/32"));
        Agent.Until("both services in the kernel", () => Node.Sh("ipvsadm -Sn").Contains("-a -t 10.98.8.8:80", StringComparison.Ordinal)
            && Node.Sh("ipvsadm -Sn").Contains("-a -t 10.98.7.7:80", StringComparison.Ordinal));
        Assert.Equal(["10.98.7.7/32", "10.98.8.8/32"], Node.IpAddr(VipDevice));
        Assert.Equal(["10.98.7.7/32 on glkvips0"], VipStateFile.Read(Path.Combine(_state, VipStateFile.FileName)).Select(v => v.ToString()));

        // Traffic through the VIP, NAT to the container (a new connection each time).
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(30) };
        var token = TestContext.Current.CancellationToken;
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://10.98.7.7/") { Headers = { ConnectionClose = true } };
            using var response = await http.SendAsync(request, token);
            Assert.StartsWith(web[..12], (await response.Content.ReadAsStringAsync(token)).Trim());
        }
        using (var health = await http.GetAsync($"http://{endpoint}/healthz", token))
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        // The kernel folds its per-CPU counters into what it reports every 2 s (the rate estimator): poll for them.
        string metrics;
        Match connections;
        var polling = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            metrics = await http.GetStringAsync($"http://{endpoint}/metrics", token);
            connections = Regex.Match(metrics, @"gorblink_ipvs_destination_connections_total\{service=""tcp 10\.98\.7\.7:80"",name=""[^""]*"",protocol=""tcp"",vip=""10\.98\.7\.7"",port=""80"",destination=""[0-9.]+:80"",container=""glk-web""\} (\d+)");
            Assert.True(connections.Success, "no destination connections line for glk-web");
            if (long.Parse(connections.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 3) break;
            if (polling.Elapsed > TimeSpan.FromSeconds(30)) Assert.Fail($"fewer than 3 connections counted after 30 s:\n{metrics}");
            await Task.Delay(500, token);
        }
        _output.WriteLine(metrics);
        var bytesOut = Regex.Match(metrics, @"gorblink_ipvs_service_bytes_total\{service=""tcp 10\.98\.7\.7:80""[^}]*direction=""out""\} (\d+)");
        Assert.True(bytesOut.Success && long.Parse(bytesOut.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, "no bytes out counted");
        Assert.Contains("gorblink_vips_added{interface=\"glkvips0\"} 1\n", metrics);
        Assert.Contains("gorblink_docker_connected 1\n", metrics);

        // Both containers go: the VIP GorbLink added goes with its service; the operator's stays.
        Node.Sh("docker rm -f glk-web glk-web2");
        Agent.Until("10.98.7.7 removed", () => !Node.IpAddr(VipDevice).Contains("10.98.7.7/32"), TimeSpan.FromMinutes(1));
        Assert.Equal(["10.98.8.8/32"], Node.IpAddr(VipDevice));
        Agent.Until("the services deleted", () => !Node.Sh("ipvsadm -Sn").Contains("10.98.", StringComparison.Ordinal));

        Assert.Equal("added VIP 10.98.7.7/32 on glkvips0; it is removed again when no service uses it", Assert.Single(agent.WithEvent(3201)).GetProperty("msg").GetString());
        Assert.Single(agent.WithEvent(3202));
        Assert.Contains("10.98.8.8", Assert.Single(agent.WithEvent(3203)).GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.All(agent.Events, e => Assert.True(e.GetProperty("eventId").GetInt32() > 0 || !e.GetProperty("logger").GetString()!.StartsWith("Gorb", StringComparison.Ordinal)));
        Assert.Equal(0, agent.Terminate());
    }

    /// <summary>A container's /proc/sys is read-only: --set-sysctls says so, and how to do without, and exits 5.</summary>
    [Fact]
    public void ReadOnlyProcSysIsAClearError()
    {
        Node.RequireKernel();
        var saved = File.ReadAllText("/proc/sys/net/ipv4/vs/expire_quiescent_template");
        File.WriteAllText("/proc/sys/net/ipv4/vs/expire_quiescent_template", "0");
        try
        {
            var result = Node.Run("unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && " +
                $"exec {Node.Gorblink} run -i lo --state-dir {_state} --set-sysctls --docker-host unix:///nonexistent.sock");
            _output.WriteLine(result.ToString());
            Assert.Equal(5, result.ExitCode);
            Assert.Matches(@"cannot start: cannot set net\.ipv4\.vs\.[a-z_]+: /proc/sys is read-only here", result.Output);
            Assert.Contains("systempaths=unconfined", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.WriteAllText("/proc/sys/net/ipv4/vs/expire_quiescent_template", saved);
        }
    }
}
