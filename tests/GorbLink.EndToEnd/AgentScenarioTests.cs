using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using static GorbLink.EndToEnd.Testbed;

namespace GorbLink.EndToEnd;

/// <summary>
/// The end-to-end scenarios of issue 4: Docker Engine -> `gorblink run` -> kernel IPVS -> real traffic, inside the VM.
/// Each asserts on `ipvsadm -Sn`/`-Ln` (an independent reader of the kernel) and on requests through the VIP.
/// </summary>
[TestMethodOrderer(typeof(ByMethodName))]
public sealed class AgentScenarioTests : IDisposable
{
    private const string Http = "-t " + Vip + ":80";
    private Scenario? _scenario;

    private Scenario Begin([CallerMemberName] string name = "") => _scenario = Scenario.Begin(name);

    public void Dispose()
    {
        if (_scenario is not { } s) return;
        var result = TestContext.Current.TestState?.Result;
        s.Dispose();
        Console.WriteLine($"  [{s.Name}] {(result is null ? "done" : result.ToString()!.ToUpperInvariant())} in {s.Elapsed.TotalSeconds:0.0} s");
    }

    private static string[] Labels(params string[] labels) => [.. labels.SelectMany(l => new[] { "-l", l })];

    /// <summary>An HTTP server answering its hostname, labelled for VIP:80 with rr, published on a random host port.</summary>
    private static Container Web(string name, params string[] options) =>
        Docker.Run(name, [.. Labels("gorb.enable=true", "gorb.scheduler=rr"), "-p", "80", .. options]);

    /// <summary>The destination GorbLink should program for a container's published port (backend=published).</summary>
    private static string Destination(Container container, string port = "80/tcp") => $"{Vip}:{Docker.HostPort(container.Name, port)}";

    /// <summary>The kernel writes an agent logged ("+ service ...", "- destination ...", "~ destination ..."), without timestamps.</summary>
    private static List<string> Writes(AgentProcess agent) =>
    [
        .. agent.Lines
            .Select(l => l.IndexOf(" INFO  ", StringComparison.Ordinal) is var i and >= 0 ? l[(i + 7)..] : "")
            .Where(m => m.StartsWith("+ ", StringComparison.Ordinal) || m.StartsWith("- ", StringComparison.Ordinal) ||
                        m.StartsWith("~ ", StringComparison.Ordinal)),
    ];

    private static string Show(IEnumerable<string> hostnames) => string.Join(" ", hostnames);

    private static IEnumerable<string> Sorted(params string[] values) => values.Order(StringComparer.Ordinal);

    // 1 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S1DemoFiveLabelledContainersAreBalancedBehindTheVip()
    {
        var s = Begin();
        s.StartAgent("--drain-timeout", "5s").WaitUntilReady();

        var web = new List<Container>();
        for (var i = 1; i <= 5; i++) web.Add(Web($"s1-web{i}"));
        var afterLastRun = Stopwatch.StartNew();
        s.Until($"5 destinations on {Http}", () => IpvsTable.Read().Of(Http).Count == 5);
        var converged = afterLastRun.Elapsed;
        s.Note($"all 5 destinations in the kernel {converged.TotalSeconds:0.0} s after the last `docker run` returned");

        var table = IpvsTable.Read();
        Assert.Equal($"-A {Http} -s rr", table.Services[Http]);
        Assert.Equal(web.Select(c => Destination(c)).Order(StringComparer.Ordinal), table.AddressesOf(Http));
        Assert.All(table.Of(Http), d => Assert.Equal((100, "masq"), (d.Weight, d.Forward)));
        s.Output(IpvsTable.List());

        var answers = Traffic.Hostnames(10);
        s.Note($"10 requests to {Vip}:80 answered by: {Show(answers)}");
        Assert.Equal(web.Select(c => c.Hostname).Order(StringComparer.Ordinal), answers.Distinct().Order(StringComparer.Ordinal));
    }

    // 2 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S2LeavingStopExitKillAndRemoveLeaveNoStaleDestination()
    {
        var s = Begin();
        // The drain timeout only has to outlast polling a busy VM: the destination at weight 0 must be seen.
        s.StartAgent("--drain-timeout", "20s").WaitUntilReady();
        var stopped = Web("s2-stopped");
        var keeper = Web("s2-keeper");
        var address = new Dictionary<string, string> { [stopped.Name] = Destination(stopped), [keeper.Name] = Destination(keeper) };
        s.UntilDestinations(Http, address.Values);

        // docker stop: weight 0 first (a connection is still open on it), then gone. One idle connection per destination
        // (rr gives each one), so the stopping one has an active connection to drain.
        var held = new List<TcpClient>();
        s.OnCleanup(() => held.ForEach(c => c.Dispose()));
        for (var i = 0; i < 2; i++)
        {
            var client = new TcpClient();
            client.Connect(Vip, 80);
            held.Add(client);
        }
        s.Until($"{stopped} has an active connection",
            () => IpvsTable.Connections(Http, address[stopped.Name]) is { Active: > 0 });
        var stop = Process.Start(new ProcessStartInfo("docker", ["stop", "-t", "60", stopped.Name])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        s.OnCleanup(() => { if (!stop.HasExited) stop.Kill(); stop.Dispose(); });
        var zero = s.Until($"{stopped} is at weight 0 while it stops",
            () => IpvsTable.Read().Find(Http, address[stopped.Name]) is { Weight: 0 });
        s.Note($"docker stop: weight 0 after {zero.TotalSeconds:0.0} s");
        Assert.Equal(100, IpvsTable.Read().Find(Http, address[keeper.Name])?.Weight);
        Assert.DoesNotContain(stopped.Hostname, Traffic.Hostnames(4));
        held.ForEach(c => c.Dispose());
        var gone = s.UntilDestinations(Http, [address[keeper.Name]]);
        s.Note($"docker stop: destination deleted {gone.TotalSeconds:0.0} s later (drain timeout 20 s)");

        // Containers that never served a connection go at once.
        // This one serves, then exits by itself (status 0) once /tmp/exit exists: no docker command ends it.
        var exits = Docker.Run("s2-exits", [.. Labels("gorb.enable=true", "gorb.scheduler=rr"), "-p", "80"],
            "mkdir -p /www; hostname > /www/index.html; httpd -p 80 -h /www; while [ ! -e /tmp/exit ]; do sleep 1; done");
        var killed = Web("s2-killed");
        var removed = Web("s2-removed");
        foreach (var c in new[] { exits, killed, removed }) address[c.Name] = Destination(c);
        s.UntilDestinations(Http, new[] { exits, killed, removed, keeper }.Select(c => address[c.Name]));

        // Exits on its own (the case gorb-docker-link misses).
        Docker.Exec(exits.Name, "touch /tmp/exit");
        gone = s.UntilDestinations(Http, new[] { killed, removed, keeper }.Select(c => address[c.Name]));
        Assert.Equal("exited", Docker.State(exits.Name));
        s.Note($"exit on its own: destination deleted after {gone.TotalSeconds:0.0} s");

        Docker.Cli("kill", killed.Name);
        gone = s.UntilDestinations(Http, new[] { removed, keeper }.Select(c => address[c.Name]));
        s.Note($"docker kill: destination deleted after {gone.TotalSeconds:0.0} s");

        Docker.Cli("rm", "-f", removed.Name);
        gone = s.UntilDestinations(Http, [address[keeper.Name]]);
        s.Note($"docker rm -f: destination deleted after {gone.TotalSeconds:0.0} s");

        var table = IpvsTable.Read();
        Assert.Equal([$"-A {Http} -s rr", $"-a {Http} -r {address[keeper.Name]} -m -w 100"], table.Lines);
        Assert.All(Traffic.Hostnames(4), h => Assert.Equal(keeper.Hostname, h));
    }

    // 3 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S3HealthAnUnhealthyContainerGetsNoNewConnectionsUntilHealthyAgain()
    {
        var s = Begin();
        s.StartAgent("--drain-timeout", "5s").WaitUntilReady();
        string[] health = ["--health-cmd", "test -f /www/ok", "--health-interval", "1s", "--health-retries", "1", "--health-timeout", "10s"];
        const string server = "mkdir -p /www; hostname > /www/index.html; touch /www/ok; exec httpd -f -p 80 -h /www";
        var sick = Docker.Run("s3-sick", [.. Labels("gorb.enable=true", "gorb.scheduler=rr"), "-p", "80", .. health], server);
        var well = Docker.Run("s3-well", [.. Labels("gorb.enable=true", "gorb.scheduler=rr"), "-p", "80", .. health], server);
        var sickAddress = Destination(sick);
        var wellAddress = Destination(well);
        s.UntilDestinations(Http, [sickAddress, wellAddress]);
        Assert.All(IpvsTable.Read().Of(Http), d => Assert.Equal(100, d.Weight));
        Assert.Equal(Sorted(sick.Hostname, well.Hostname), Traffic.Hostnames(4).Distinct().Order(StringComparer.Ordinal));

        Docker.Exec(sick.Name, "rm /www/ok");
        var outOfRotation = s.Until($"{sick} (unhealthy) is at weight 0 or gone",
            () => IpvsTable.Read().Find(Http, sickAddress) is null or { Weight: 0 });
        s.Note($"unhealthy: out of rotation after {outOfRotation.TotalSeconds:0.0} s");
        Assert.Equal("unhealthy", Docker.Cli("inspect", "--format", "{{.State.Health.Status}}", sick.Name));
        var answers = Traffic.Hostnames(6);
        Assert.All(answers, h => Assert.Equal(well.Hostname, h));

        Docker.Exec(sick.Name, "touch /www/ok");
        var back = s.Until($"{sick} (healthy again) is back at weight 100",
            () => IpvsTable.Read().Find(Http, sickAddress) is { Weight: 100 });
        s.Note($"healthy again: back in rotation after {back.TotalSeconds:0.0} s");
        answers = Traffic.Hostnames(6);
        Assert.Equal(Sorted(sick.Hostname, well.Hostname), answers.Distinct().Order(StringComparer.Ordinal));
    }

    // 4 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S4DockerEngineRestartTableMatchesWhatRunsAfterwards()
    {
        var s = Begin();
        var agent = s.StartAgent("--drain-timeout", "5s").WaitUntilReady();
        var always = Web("s4-always", "--restart=always");
        var once = Web("s4-once");
        s.UntilDestinations(Http, [Destination(always), Destination(once)]);

        var engine = Stopwatch.StartNew();
        Vm.Sh("kill -TERM $(pidof dockerd)");
        s.Until("dockerd has exited", () => Vm.Run("pidof", "dockerd").ExitCode != 0, TimeSpan.FromSeconds(120));
        var start = Vm.Run(Path.Combine(Vm.Repo, "tests/vm/start-dockerd"));
        Assert.True(start.ExitCode == 0, "restarting dockerd: " + start);
        s.Note($"dockerd stopped and started again in {engine.Elapsed.TotalSeconds:0.0} s");

        // s4-always comes back (its published port may change), s4-once stays exited.
        s.Until("s4-always is running again", () => Docker.State(always.Name) == "running");
        Assert.Equal("exited", Docker.State(once.Name));
        var converged = s.UntilDestinations(Http, [Destination(always)]);
        s.Note($"table matched the running containers {converged.TotalSeconds:0.0} s after the engine was back");
        Assert.False(agent.HasExited, "the agent exited while the engine was down:\n" + agent.Tail());

        // Events flow again: a container started now is picked up.
        var late = Web("s4-late");
        s.UntilDestinations(Http, [Destination(always), Destination(late)]);
        Assert.Equal(Sorted(always.Hostname, late.Hostname), Traffic.Hostnames(4).Distinct().Order(StringComparer.Ordinal));
    }

    // 5 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S5AgentCrashRestartConvergesWithoutFlushAndKeepsConnections()
    {
        var s = Begin();
        const string Echo = "-t " + Vip + ":7000";
        var first = s.StartAgent("--drain-timeout", "5s").WaitUntilReady();
        // A TCP echo server (one `cat` per connection) behind VIP:7000, a service that will not change.
        var echo = Docker.RunCommand("s5-echo",
            [.. Labels("gorb.enable=true", "gorb.service=echo", "gorb.ports=7000:80"), "-p", "80"], "nc", "-ll", "-p", "80", "-e", "cat");
        var orphan = Web("s5-orphan");
        var stays = Web("s5-stays");
        var echoAddress = Destination(echo);
        s.UntilDestinations(Echo, [echoAddress]);
        s.UntilDestinations(Http, [Destination(orphan), Destination(stays)]);

        using var connection = new TcpClient();
        connection.Connect(Vip, 7000);
        var stream = connection.GetStream();
        stream.ReadTimeout = 10_000;
        var reader = new StreamReader(stream);
        var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\n" };
        writer.WriteLine("before the crash");
        Assert.Equal("before the crash", reader.ReadLine());

        first.Kill();
        s.Note("agent killed with SIGKILL");
        // While it is down: one container goes, one comes.
        var orphanAddress = Destination(orphan);
        Docker.Cli("rm", "-f", orphan.Name);
        var late = Web("s5-late");
        var table = IpvsTable.Read();
        Assert.Contains(orphanAddress, table.AddressesOf(Http)); // nobody removed it: the agent is really down
        Assert.DoesNotContain(Destination(late), table.AddressesOf(Http));

        var second = s.StartAgent("--drain-timeout", "5s");
        var restarted = Stopwatch.StartNew();
        s.UntilDestinations(Http, [Destination(stays), Destination(late)]);
        second.WaitUntilReady();
        s.Note($"restarted agent converged in {restarted.Elapsed.TotalSeconds:0.0} s");

        table = IpvsTable.Read();
        Assert.Equal([echoAddress], table.AddressesOf(Echo));
        Assert.Equal(table.Lines.Length, table.Lines.Distinct().Count());
        Assert.Equal(2, table.Services.Count);
        // Adopted, not flushed: the restarted agent's only writes are the two that the changes while it was down call for.
        Assert.Contains(second.Lines, l => l.Contains("adopting those still in the kernel", StringComparison.Ordinal));
        var writes = Writes(second);
        Assert.True(writes.Count == 2 &&
                    writes.Any(w => w.StartsWith($"- destination {orphanAddress} of service tcp {Vip}:80", StringComparison.Ordinal)) &&
                    writes.Any(w => w.StartsWith($"+ destination {Destination(late)} of service tcp {Vip}:80", StringComparison.Ordinal)),
            "the restarted agent should only delete the orphan and add s5-late; it wrote:\n" + string.Join('\n', writes));

        // The long-lived connection through the unchanged service still works.
        writer.WriteLine("after the restart");
        Assert.Equal("after the restart", reader.ReadLine());
        Assert.Equal(1, IpvsTable.Connections(Echo, echoAddress)?.Active);
        s.Note("the TCP connection opened before the crash still echoes after the restart");

        var state = File.ReadAllText(s.StateFile);
        Assert.DoesNotContain($"\"port\": {orphanAddress.Split(':')[1]}", state);
    }

    // 6 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S6ForeignEntriesAreUntouchedFromStartToFinishIncludingCleanupOnExit()
    {
        var s = Begin();
        Vm.Sh($"ipvsadm -A -t {Vip}:8080 -s rr && ipvsadm -a -t {Vip}:8080 -r 10.99.0.2:8080 -m -w 3");
        var foreign = IpvsTable.Read().Lines;
        Assert.Equal(2, foreign.Length);

        var agent = s.StartAgent("--drain-timeout", "5s", "--cleanup-on-exit").WaitUntilReady();
        var web1 = Web("s6-web1");
        var web2 = Web("s6-web2");
        // Asks for the foreign VIP:8080: must be refused, the foreign service left alone.
        var intruder = Web("s6-intruder", [.. Labels("gorb.service=intruder", "gorb.ports=8080:80")]);
        s.UntilDestinations(Http, [Destination(web1), Destination(web2)]);
        var refusal = agent.WaitForLine($"a refusal of {Vip}:8080",
            l => l.Contains(Vip + ":8080", StringComparison.Ordinal) && l.Contains("ERROR", StringComparison.Ordinal));
        s.Output("refused: " + refusal);
        Assert.Equal(foreign, ForeignLines());

        Docker.Cli("rm", "-f", intruder.Name, web1.Name);
        s.UntilDestinations(Http, [Destination(web2)]);
        Assert.Equal(foreign, ForeignLines());

        var exit = agent.Terminate();
        Assert.True(exit == 0, $"agent exit code {exit}:\n{agent.Tail()}");
        Assert.Contains(agent.Lines, l => l.Contains("cleanup", StringComparison.Ordinal));
        var after = IpvsTable.Read();
        Assert.False(after.Services.ContainsKey(Http), "--cleanup-on-exit left the agent's own service:\n" + after);
        Assert.Equal(foreign, after.Lines); // byte-identical, and nothing else left
        Assert.DoesNotContain(Writes(agent), w => w.Contains(Vip + ":8080", StringComparison.Ordinal));
        s.Note("after --cleanup-on-exit only the foreign entries remain, byte-identical");

        string[] ForeignLines() => [.. IpvsTable.Read().Lines.Where(l => l.Contains(Vip + ":8080", StringComparison.Ordinal))];
    }

    // 7 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S7UdpAnEchoServiceIsBalancedAcrossItsContainers()
    {
        var s = Begin();
        const string Dns = "-u " + Vip + ":53";
        // A long drain timeout: UDP must not wait for it.
        s.StartAgent("--drain-timeout", "600s").WaitUntilReady();
        var echoes = new List<Container>();
        for (var i = 1; i <= 3; i++) echoes.Add(UdpEcho($"s7-udp{i}"));
        var addresses = echoes.ToDictionary(c => c.Name, c => Destination(c, "53/udp"));
        s.UntilDestinations(Dns, addresses.Values);
        Assert.Equal($"-A {Dns} -s rr", IpvsTable.Read().Services[Dns]);

        // Every server answers on its own published port first (the perl process takes a moment to start).
        foreach (var c in echoes)
        {
            var port = int.Parse(addresses[c.Name].Split(':')[1]);
            s.Until($"{c} answers on {addresses[c.Name]}", () => Traffic.Udp(port, "ping") == $"{c.Hostname} ping");
        }

        var answers = Enumerable.Range(0, 9).Select(i => Traffic.Udp(53, $"m{i}")).ToList();
        s.Note($"9 datagrams to {Vip}:53/udp answered by: {Show(answers.Select(a => a?.Split(' ')[0] ?? "(none)"))}");
        Assert.All(answers.Select((a, i) => (a, i)), x => Assert.EndsWith($" m{x.i}", x.a ?? "(no answer)"));
        Assert.Equal(echoes.Select(c => c.Hostname).Order(StringComparer.Ordinal), answers.Select(a => a!.Split(' ')[0]).Distinct().Order(StringComparer.Ordinal));

        // UDP is deleted at once, not drained for --drain-timeout.
        Docker.Cli("rm", "-f", echoes[0].Name);
        var gone = s.UntilDestinations(Dns, echoes.Skip(1).Select(c => addresses[c.Name]));
        s.Note($"a removed UDP container's destination went {gone.TotalSeconds:0.0} s later (drain timeout 600 s)");
        answers = [.. Enumerable.Range(0, 4).Select(i => Traffic.Udp(53, $"n{i}"))];
        Assert.All(answers, a => Assert.Contains(a?.Split(' ')[0], echoes.Skip(1).Select(c => c.Hostname)));
    }

    /// <summary>
    /// A UDP echo server answering "HOSTNAME MESSAGE". Debian's busybox nc has no -u (and busybox has no other UDP server),
    /// so the server is the VM's own perl (perl-base is Essential in Debian), mounted read-only into the busybox container.
    /// </summary>
    private static Container UdpEcho(string name) => Docker.RunCommand(name,
        [.. Labels("gorb.enable=true", "gorb.scheduler=rr", "gorb.ports=53/udp"), "-p", "53/udp",
         "-v", "/usr:/usr:ro", "-v", "/usr/lib:/lib:ro", "-v", "/usr/lib64:/lib64:ro"],
        "/usr/bin/perl", "-MIO::Socket::INET", "-e",
        """$s = IO::Socket::INET->new(LocalPort => 53, Proto => "udp") or die "bind: $!"; while (1) { $p = $s->recv($m, 2048); next unless defined $p; $s->send("$ENV{HOSTNAME} $m", 0, $p) }""");

    // 8 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S8DryRunChangesNothingInTheKernelButLogsWhatItWouldDo()
    {
        var s = Begin();
        var agent = s.StartAgent("--drain-timeout", "5s", "--dry-run").WaitUntilReady();
        var web1 = Web("s8-web1");
        var web2 = Web("s8-web2");
        foreach (var c in new[] { web1, web2 })
        {
            var address = Destination(c);
            agent.WaitForLine($"a would-be add of {address}",
                l => l.Contains("dry run, would apply: + destination " + address, StringComparison.Ordinal));
        }
        Assert.Contains(agent.Lines, l => l.Contains("dry run, would apply: + service tcp " + Vip + ":80", StringComparison.Ordinal));
        Assert.True(IpvsTable.Read().IsEmpty, "--dry-run wrote to the kernel:\n" + IpvsTable.Read());

        var before = agent.Lines.Count;
        Docker.Cli("rm", "-f", web1.Name);
        agent.WaitForLine("the next dry-run pass", l => l.Contains("dry run, would apply", StringComparison.Ordinal), from: before);
        Assert.True(IpvsTable.Read().IsEmpty, "--dry-run wrote to the kernel:\n" + IpvsTable.Read());
        Assert.Equal(0, agent.Terminate());
        Assert.True(IpvsTable.Read().IsEmpty);
        Assert.False(File.Exists(s.StateFile), "--dry-run wrote the ownership file " + s.StateFile);
        Assert.Empty(Writes(agent));
        s.Note($"{agent.Lines.Count(l => l.Contains("dry run, would apply", StringComparison.Ordinal))} would-be changes logged, ipvsadm -Sn stayed empty");
    }

    // 9 ------------------------------------------------------------------------------------------------------------
    [Fact]
    public void S9TwoServicesAnOptedOutAndABadlyLabelledContainer()
    {
        var s = Begin();
        const string Api = "-t " + Vip + ":8081";
        var agent = s.StartAgent("--drain-timeout", "5s", "--resync-interval", "3s").WaitUntilReady();
        var web1 = Web("s9-web1", [.. Labels("gorb.service=web")]);
        var web2 = Web("s9-web2", [.. Labels("gorb.service=web")]);
        var api = Web("s9-api", [.. Labels("gorb.service=api", "gorb.ports=8081:80")]);
        // Labels, but no gorb.enable: opted out.
        var optedOut = Docker.Run("s9-optout", [.. Labels("gorb.service=web", "gorb.scheduler=rr"), "-p", "80"]);
        var bad = Docker.Run("s9-bad", [.. Labels("gorb.enable=true", "gorb.scheduler=xyz", "gorb.ports=9090:80"), "-p", "80"]);

        s.UntilDestinations(Http, [Destination(web1), Destination(web2)]);
        s.UntilDestinations(Api, [Destination(api)]);
        var error = agent.WaitForLine("the bad label", l => l.Contains("xyz", StringComparison.Ordinal));
        s.Note("reported: " + error);
        Assert.Contains("s9-bad", error);
        Assert.Contains("gorb.scheduler", error);
        Assert.Contains("ERROR", error);

        // More passes (a change, and resyncs every 3 s) must not repeat it.
        var late = Web("s9-late", [.. Labels("gorb.service=web")]);
        s.UntilDestinations(Http, [Destination(web1), Destination(web2), Destination(late)]);
        Docker.Cli("rm", "-f", late.Name);
        s.UntilDestinations(Http, [Destination(web1), Destination(web2)]);
        Thread.Sleep(TimeSpan.FromSeconds(7)); // two more resync passes: nothing new may be logged about s9-bad

        var table = IpvsTable.Read();
        Assert.Equal([Http, Api], table.Services.Keys.Order(StringComparer.Ordinal));
        Assert.Equal($"-A {Api} -s rr", table.Services[Api]);
        Assert.DoesNotContain(table.Lines, l => l.Contains(Destination(optedOut), StringComparison.Ordinal) ||
                                                 l.Contains(Destination(bad), StringComparison.Ordinal) ||
                                                 l.Contains(":9090", StringComparison.Ordinal));
        Assert.Single(agent.Lines, l => l.Contains("xyz", StringComparison.Ordinal));
        Assert.DoesNotContain(agent.Lines, l => l.Contains("s9-optout", StringComparison.Ordinal));
        Assert.Equal(Sorted(web1.Hostname, web2.Hostname), Traffic.Hostnames(4).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(api.Hostname, Traffic.Get(8081));
    }
}
