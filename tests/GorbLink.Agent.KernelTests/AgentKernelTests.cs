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
        // The kernel folds its per-CPU counters into what it reports every 2 s (the rate estimator): poll until the
        // scrape and `ipvsadm -Ln --stats --exact` (read before and after it, unchanged) agree on every counter.
        string metrics;
        var polling = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var before = IpvsadmDestinationStats("10.98.7.7:80");
            metrics = await http.GetStringAsync($"http://{endpoint}/metrics", token);
            var after = IpvsadmDestinationStats("10.98.7.7:80");
            var scraped = ScrapedDestinationStats(PrometheusScrape.Lines(metrics), "tcp 10.98.7.7:80", before.Destination, "glk-web");
            if (before.Destination == after.Destination && before.Stats.SequenceEqual(after.Stats) && before.Stats[0] >= 3 && scraped.SequenceEqual(before.Stats)) break;
            if (polling.Elapsed > TimeSpan.FromSeconds(30))
                Assert.Fail($"the scrape's destination counters {string.Join(' ', scraped)} never matched ipvsadm's {string.Join(' ', after.Stats)} (conns inpkts outpkts inbytes outbytes):\n{metrics}");
            await Task.Delay(500, token);
        }
        _output.WriteLine(metrics);
        var lines = PrometheusScrape.Lines(metrics);
        Assert.True(PrometheusScrape.ValueWith(lines, "gorblink_ipvs_service_bytes_total", ("service", "tcp 10.98.7.7:80"), ("direction", "out")) > 0,
            "no bytes out counted");
        Assert.Equal(1, PrometheusScrape.Value(lines, "gorblink_vips_added", ("interface", "glkvips0")));
        Assert.Equal(1, PrometheusScrape.Value(lines, "gorblink_docker_connected"));
        // The dashboard queries only names the agent exports (serve's gorb_* names: ServeAddsAndRemovesServiceVipsOnTheVipInterface).
        var exported = PrometheusScrape.SampleNames(metrics);
        Assert.All(DashboardNames().Where(n => n.StartsWith("gorblink_", StringComparison.Ordinal)), name => Assert.Contains(name, exported));

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

    /// <summary>
    /// `gorblink status` against a running agent shows each service with its containers and live counters; SIGTERM leaves
    /// the kernel serving (the default, so traffic keeps flowing across a restart); --cleanup-on-exit removes what it made.
    /// </summary>
    [Fact]
    public async Task StatusShowsTheAgentsViewAndSigtermLeavesTheKernelServing()
    {
        Node.RequireKernel();
        Node.Sh($"{Node.Repo}/tests/vm/start-dockerd");
        Node.Dummy(VipDevice);
        Node.Sh($"ip addr add 10.98.5.5/32 dev {VipDevice}"); // the VIP, on this host
        Node.Sh("ipvsadm -A -t 10.98.5.5:81 -s rr"); // someone else's
        try
        {
            using (var agent = Agent.Start(_output.WriteLine, "-i", "lo", "--label-prefix", Prefix, "--state-dir", _state))
            {
                agent.WaitForEvent(1001);
                var id = Web("glk-status", "10.98.5.5");
                Agent.Until("the service in the kernel", () => Node.Sh("ipvsadm -Sn").Contains("-a -t 10.98.5.5:80", StringComparison.Ordinal));
                using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "http://10.98.5.5/") { Headers = { ConnectionClose = true } };
                    using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }

                // The kernel folds its per-CPU counters into what it reports every 2 s: poll for the connection.
                var status = Node.Run(Node.Gorblink, "status", "--state-dir", _state);
                Agent.Until("the connection counted in gorblink status", () =>
                {
                    status = Node.Run(Node.Gorblink, "status", "--state-dir", _state);
                    return Regex.IsMatch(status.Output, @"tcp 10\.98\.5\.5:80 wrr .*conns [1-9]");
                }, TimeSpan.FromSeconds(30));
                _output.WriteLine(status.ToString());
                Assert.Equal(0, status.ExitCode);
                Assert.Contains("counters live from the kernel", status.Output, StringComparison.Ordinal);
                Assert.Matches($@"(?i)-> [0-9.]+:80 +nat +weight 100 .* glk-status \({id[..12]}\) running, health none", status.Output);
                Assert.DoesNotContain("10.98.5.5:81", status.Output, StringComparison.Ordinal);
                var json = Node.Run(Node.Gorblink, "status", "--state-dir", _state, "--json");
                Assert.Equal(0, json.ExitCode);
                using (var document = System.Text.Json.JsonDocument.Parse(json.Output))
                    Assert.Contains("glk-status", document.RootElement.GetRawText(), StringComparison.Ordinal);

                Assert.Equal(0, agent.Terminate());
            }
            var table = Node.Sh("ipvsadm -Sn");
            Assert.Contains("-a -t 10.98.5.5:80", table, StringComparison.Ordinal);
            Assert.Contains("-A -t 10.98.5.5:81", table, StringComparison.Ordinal);

            // Restarted with --cleanup-on-exit: adopts its service, and on SIGTERM deletes it, and only it.
            using (var agent = Agent.Start(_output.WriteLine, "-i", "lo", "--label-prefix", Prefix, "--state-dir", _state, "--cleanup-on-exit"))
            {
                agent.WaitForEvent(1001);
                Assert.Equal(0, agent.Terminate());
            }
            table = Node.Sh("ipvsadm -Sn");
            Assert.DoesNotContain("10.98.5.5:80", table, StringComparison.Ordinal);
            Assert.Contains("-A -t 10.98.5.5:81", table, StringComparison.Ordinal);
        }
        finally
        {
            Node.Run("ipvsadm", "-D", "-t", "10.98.5.5:81");
            Node.Run("ipvsadm", "-D", "-t", "10.98.5.5:80");
        }
    }

    /// <summary>`run -r DAEMON --local`: the local kernel agent keeps --vip-interface and --metrics-listen, even while the daemon is down.</summary>
    [Fact]
    public async Task RemoteModeWithLocalKeepsVipsAndMetrics()
    {
        Node.RequireKernel();
        Node.Sh($"{Node.Repo}/tests/vm/start-dockerd");
        Node.Dummy(VipDevice);
        try
        {
            using var agent = Agent.Start(_output.WriteLine, "-i", "lo", "-r", "127.0.0.1:9", "--local", "--label-prefix", Prefix, "--state-dir", _state,
                "--vip-interface", VipDevice, "--metrics-listen", "127.0.0.1:0");
            var endpoint = agent.WaitForEvent(1401).GetProperty("Endpoint").GetString();
            Web("glk-remote", "10.98.6.6");
            Agent.Until("the service in the kernel", () => Node.Sh("ipvsadm -Sn").Contains("-a -t 10.98.6.6:80", StringComparison.Ordinal));
            Agent.Until("10.98.6.6/32 on the VIP interface", () => Node.IpAddr(VipDevice).Contains("10.98.6.6/32"));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var metrics = await http.GetStringAsync($"http://{endpoint}/metrics", TestContext.Current.CancellationToken);
            Assert.Equal(1, PrometheusScrape.Value(PrometheusScrape.Lines(metrics), "gorblink_vips_added", ("interface", "glkvips0")));
            Assert.Equal(1, PrometheusScrape.Value(PrometheusScrape.Lines(metrics), "gorblink_ipvs_services"));

            Node.Sh("docker rm -f glk-remote");
            Agent.Until("the service deleted", () => !Node.Sh("ipvsadm -Sn").Contains("10.98.6.6", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
            Agent.Until("10.98.6.6 removed", () => !Node.IpAddr(VipDevice).Contains("10.98.6.6/32"), TimeSpan.FromMinutes(1));
            Assert.Equal(0, agent.Terminate());
        }
        finally
        {
            Node.Run("ipvsadm", "-D", "-t", "10.98.6.6:80");
        }
    }

    /// <summary>`gorblink serve --vip-interface`: a service's VIP is added while the service exists, then removed; the operator's stays.</summary>
    [Fact]
    public async Task ServeAddsAndRemovesServiceVipsOnTheVipInterface()
    {
        Node.RequireKernel();
        Node.Dummy(VipDevice);
        Node.Sh($"ip addr add 10.98.3.3/32 dev {VipDevice}"); // the operator's
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new System.Diagnostics.ProcessStartInfo(Node.Gorblink) { RedirectStandardOutput = true, RedirectStandardError = true };
        int metricsPort;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            metricsPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        foreach (var argument in new[] { "serve", "-l", $"127.0.0.1:{port}", "-i", "lo", "--vip-interface", VipDevice, "--state-dir", _state,
                     "--metrics-listen", $"127.0.0.1:{metricsPort}" })
            start.ArgumentList.Add(argument);
        using var serve = System.Diagnostics.Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        serve.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        serve.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            var token = TestContext.Current.CancellationToken;
            Agent.Until("serve answers", () =>
            {
                try { return http.GetAsync("service", token).Result.IsSuccessStatusCode; }
                catch (AggregateException) { return false; }
            });
            foreach (var (id, vip) in new[] { ("svc-a", "10.98.4.4"), ("svc-b", "10.98.3.3") })
            {
                using var put = await http.PutAsync($"service/{id}", new StringContent($$"""{"host":"{{vip}}","port":80}""", System.Text.Encoding.UTF8, "application/json"), token);
                Assert.True(put.IsSuccessStatusCode, $"PUT service/{id}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync(token)}");
            }
            Agent.Until("10.98.4.4/32 on the VIP interface", () => Node.IpAddr(VipDevice).Contains("10.98.4.4/32"));
            Assert.Equal(["10.98.3.3/32", "10.98.4.4/32"], Node.IpAddr(VipDevice));
            Assert.Contains("-A -t 10.98.4.4:80", Node.Sh("ipvsadm -Sn"), StringComparison.Ordinal);

            // A backend with a health check: serve's gauges on the API's /metrics (as GORB) and on --metrics-listen,
            // and every gorb_* name the dashboard queries among them.
            using (var put = await http.PutAsync("service/svc-a/web-1", new StringContent($$$"""{"host":"127.0.0.1","port":{{{port}}},"pulse":{"type":"tcp","interval":"1s"}}""",
                       System.Text.Encoding.UTF8, "application/json"), token))
                Assert.True(put.IsSuccessStatusCode, $"PUT service/svc-a/web-1: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync(token)}");
            var api = await http.GetStringAsync("metrics", token);
            var listened = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics", token);
            _output.WriteLine(listened);
            Assert.Equal(1, PrometheusScrape.Value(PrometheusScrape.Lines(listened), "gorb_service_backends", ("name", "svc-a"), ("host", "10.98.4.4"), ("port", "80"), ("protocol", "tcp")));
            foreach (var scrape in new[] { api, listened })
            {
                var exported = PrometheusScrape.SampleNames(scrape);
                Assert.All(DashboardNames().Where(n => !n.StartsWith("gorblink_", StringComparison.Ordinal)), name => Assert.Contains(name, exported));
            }

            foreach (var id in new[] { "svc-a", "svc-b" })
                using (var delete = await http.DeleteAsync($"service/{id}", token))
                    Assert.True(delete.IsSuccessStatusCode, $"DELETE service/{id}: {(int)delete.StatusCode}");
            Agent.Until("10.98.4.4 removed", () => !Node.IpAddr(VipDevice).Contains("10.98.4.4/32"));
            Assert.Equal(["10.98.3.3/32"], Node.IpAddr(VipDevice));
            Assert.DoesNotContain("10.98.4.4", Node.Sh("ipvsadm -Sn"), StringComparison.Ordinal);
        }
        finally
        {
            if (!serve.HasExited) serve.Kill();
            serve.WaitForExit(10_000);
            lock (output) _output.WriteLine(output.ToString());
            Node.Run("ipvsadm", "-D", "-t", "10.98.4.4:80");
            Node.Run("ipvsadm", "-D", "-t", "10.98.3.3:80");
        }
    }

    private static IReadOnlySet<string> DashboardNames() =>
        PrometheusScrape.DashboardMetricNames(File.ReadAllText(Path.Combine(Node.Repo, "deploy", "grafana", "gorblink.json")));

    /// <summary>
    /// One destination's counters from `ipvsadm -Ln --stats --exact`: Conns, InPkts, OutPkts, InBytes, OutBytes, for the
    /// only destination of the TCP service <paramref name="service"/>.
    /// </summary>
    private static (string Destination, long[] Stats) IpvsadmDestinationStats(string service)
    {
        var lines = Node.Sh("ipvsadm -Ln --stats --exact").Split('\n');
        var at = Array.FindIndex(lines, l => l.StartsWith("TCP  " + service + " ", StringComparison.Ordinal));
        Assert.True(at >= 0, $"TCP {service} is not in ipvsadm -Ln --stats");
        var fields = lines[at + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries); // "->", address:port, five counters
        Assert.Equal("->", fields[0]);
        return (fields[1], [.. fields[2..7].Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture))]);
    }

    private static long[] ScrapedDestinationStats(string[] lines, string service, string destination, string container)
    {
        (string, string)[] labels = [("service", service), ("destination", destination), ("container", container)];
        double? Of(string name, params (string, string)[] more) => PrometheusScrape.ValueWith(lines, name, [.. labels, .. more]);
        return [.. new[]
        {
            Of("gorblink_ipvs_destination_connections_total"),
            Of("gorblink_ipvs_destination_packets_total", ("direction", "in")), Of("gorblink_ipvs_destination_packets_total", ("direction", "out")),
            Of("gorblink_ipvs_destination_bytes_total", ("direction", "in")), Of("gorblink_ipvs_destination_bytes_total", ("direction", "out")),
        }.Select(v => (long)(v ?? -1))];
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
