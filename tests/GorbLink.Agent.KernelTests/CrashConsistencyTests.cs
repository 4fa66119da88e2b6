using System.Diagnostics;
using System.Globalization;

namespace GorbLink.Agent.KernelTests;

/// <summary>
/// Issue 15, crash consistency: gorblink is killed with SIGKILL at every interesting point of a pass, on the real
/// kernel, and restarted. The points are the crash points of the binary (GORBLINK_CRASH_AT: after the write-ahead
/// record, after K of N messages of a batch, after the batch before the ownership file is rewritten, halfway through
/// writing a file) and random moments of a 1,000-container start-up (kill -9 from outside). The engine is
/// bench/fake-docker-engine: a scripted engine serving 1,000 labelled containers (starting 1,000 real containers under
/// the VM's emulation would take far too long), in front of the real kernel. Each kill is checked twice:
/// <list type="bullet">
/// <item>at once, before the restart: every IPVS entry GorbLink created is listed in its ownership file (the file is whole);</item>
/// <item>after the restart: the kernel's table is exactly the desired state (no destination missing, extra or listed
/// twice), the ownership file lists exactly that, and the foreign entries made with ipvsadm are byte-for-byte as they were.</item>
/// </list>
/// The same for `gorblink serve` (CrashConsistencyTests.Serve.cs). Prints "crash consistency: N kills, N consistent".
/// GORBLINK_CRASH_SEED replays one run's random points; GORBLINK_CRASH_RANDOM_KILLS sets how many (default 10);
/// GORBLINK_CRASH_LIMIT=N runs only the first N kills of each plan (to debug the test; then it does not count to 50).
/// </summary>
public sealed partial class CrashConsistencyTests : IDisposable
{
    private const int PerService = 10;
    private const int Big = 1000;
    private const int Medium = 300;
    private const int Small = 30;
    /// <summary>Only a bound for failures: the VM is emulated and the machine may be busy.</summary>
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(300);

    /// <summary>Made with ipvsadm before GorbLink starts; never to change. Plus a destination inside a GorbLink service (below).</summary>
    private const string ForeignRules =
        "-A -t 10.201.0.1:80 -s rr\n-a -t 10.201.0.1:80 -r 10.201.1.1:80 -m -w 3\n-a -t 10.201.0.1:80 -r 10.201.1.2:80 -g -w 0\n" +
        "-A -u 10.201.0.2:53 -s sh\n-a -u 10.201.0.2:53 -r 10.201.1.3:53 -m -w 1\n" +
        "-A -f 77 -s wrr\n-a -f 77 -r 10.201.1.4:0 -g -w 2\n";
    private const string ForeignDestination = "10.201.9.9";

    private readonly string _work = Directory.CreateTempSubdirectory("gorblink-crash").FullName;
    private readonly ITestOutputHelper _output = TestContext.Current.TestOutputHelper!;
    private readonly List<string> _failures = [];
    private readonly List<IDisposable> _processes = [];
    private Dictionary<string, string> _foreign = [];
    private int _kills;

    public void Dispose()
    {
        foreach (var process in _processes) process.Dispose();
        Node.Run("ipvsadm", "-C");
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public void EveryKillLeavesAConsistentKernelAfterRestart()
    {
        Node.RequireKernel();
        // Not yet in tests/run: no run of all 58 kills has finished (the machine it was written on was overloaded), so
        // its duration and result are unknown. tests/run sets nothing; run it with GORBLINK_CRASH_TESTS=1 (README).
        if (Environment.GetEnvironmentVariable("GORBLINK_CRASH_TESTS") != "1")
            Assert.Skip("crash consistency runs on request: GORBLINK_CRASH_TESTS=1 (see README, Reliability, Crash consistency)");
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GORBLINK_CRASH_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Environment.TickCount;
        var randomKills = int.TryParse(Environment.GetEnvironmentVariable("GORBLINK_CRASH_RANDOM_KILLS"), CultureInfo.InvariantCulture, out var r) ? r : 10;
        var random = new Random(seed);
        Note($"binary {Binary}, seed {seed} (GORBLINK_CRASH_SEED={seed} replays the random points)");
        var clock = Stopwatch.StartNew();

        Node.Run("ipvsadm", "-C");
        var rules = Path.Combine(_work, "foreign.rules");
        File.WriteAllText(rules, ForeignRules);
        Node.Sh($"ipvsadm -R < {rules}");
        _foreign = ProcIpvs.Read().ToDictionary(service => service.Key, service => service.Raw);
        Assert.Equal(3, _foreign.Count);

        var agentKills = AgentKills(random, randomKills);
        Note($"agent: {agentKills} kills in {clock.Elapsed.TotalSeconds:0} s");
        RemoveAgentServices();
        var serveClock = Stopwatch.StartNew();
        var serveKills = ServeKills(random);
        Note($"serve: {serveKills} kills in {serveClock.Elapsed.TotalSeconds:0} s");

        var line = $"crash consistency: {_kills} kills, {_kills - _failures.Count} consistent ({agentKills} of the agent, {serveKills} of serve; {clock.Elapsed.TotalSeconds:0} s)";
        Note(line);
        Console.WriteLine(line);
        Assert.True(_failures.Count == 0, $"{line}\n{string.Join("\n\n", _failures)}");
        if (Limit == int.MaxValue) Assert.True(_kills >= 50, $"{line}: fewer than 50 kills");
    }

    /// <summary>The NativeAOT binary when tests/run published one for this build (starts in a fraction of the time), else the Debug one.</summary>
    private static string Binary { get; } = PickBinary();

    private static string PickBinary()
    {
        if (Environment.GetEnvironmentVariable("GORBLINK_BINARY") is { Length: > 0 }) return Node.Gorblink;
        var aot = Path.Combine(Node.Repo, "tests/.cache/aot/gorblink");
        var debug = Path.Combine(Node.Repo, "src/GorbLink/bin/Debug/net10.0/GorbLink.Core.dll");
        return File.Exists(aot) && (!File.Exists(debug) || File.GetLastWriteTimeUtc(aot) >= File.GetLastWriteTimeUtc(debug)) ? aot : Node.Gorblink;
    }

    private static int Limit { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("GORBLINK_CRASH_LIMIT"), CultureInfo.InvariantCulture, out var limit) ? limit : int.MaxValue;

    private void Note(string line) => _output.WriteLine(line);

    // ---- the agent ----

    private int AgentKills(Random random, int randomKills)
    {
        var socket = Path.Combine(_work, "docker.sock");
        var countFile = Path.Combine(_work, "containers");
        var state = Path.Combine(_work, "agent");
        File.WriteAllText(countFile, Small.ToString(CultureInfo.InvariantCulture));
        StartEngine(socket, countFile);
        string[] arguments = ["-i", "lo", "--docker-host", $"unix://{socket}", "--state-dir", state, "--drain-timeout", "1s"];
        var ownership = Path.Combine(state, "state.json");

        // First start (not a kill): learn the scheduler and weight GorbLink gives, then put a foreign destination inside
        // a GorbLink service, which GorbLink must leave alone from then on.
        string serviceSuffix, weight;
        using (var first = Launch("run", NoCrash, arguments))
        {
            Agent.Until("the first service with its destinations", () => ProcIpvs.Read().Any(v => v.Key == AgentServiceKey(0) && v.DestinationLines.Count == PerService), Converge);
            var service = ProcIpvs.Read().First(v => v.Key == AgentServiceKey(0));
            serviceSuffix = string.Join(' ', ProcIpvs.Words(service.Line).Skip(2));
            weight = ProcIpvs.Words(service.DestinationLines[0])[3];
            Node.Sh($"ipvsadm -a -t {VipOf(0)}:80 -r {ForeignDestination}:80 -m -w 7");
            Note($"first start: scheduler and flags \"{serviceSuffix}\", weight {weight}");
            Assert.Equal(0, first.Terminate());
        }
        var foreignLine = ProcIpvs.Read().First(v => v.Key == AgentServiceKey(0)).DestinationLines.Single(l => l.Contains(ProcIpvs.Hex(ForeignDestination, 80), StringComparison.Ordinal));
        bool IsForeign(string service, string? destination) =>
            _foreign.ContainsKey(service) || (service == AgentServiceKey(0) && destination == ProcIpvs.Hex(ForeignDestination, 80));
        List<string> Expected(int containers) => AgentTable(containers, serviceSuffix, weight);

        var plan = AgentPlan(random, randomKills).Take(Limit).ToList();
        var startup = TimeSpan.FromSeconds(3);
        foreach (var (containers, crashAt) in plan)
        {
            File.WriteAllText(countFile, containers.ToString(CultureInfo.InvariantCulture));
            var what = $"agent kill {_kills + 1}: {(crashAt.StartsWith("random", StringComparison.Ordinal) ? crashAt : $"GORBLINK_CRASH_AT={crashAt}")}, {containers} containers";
            var killed = crashAt.StartsWith("random", StringComparison.Ordinal)
                ? KillAtRandom("run", arguments, TimeSpan.FromMilliseconds(random.Next((int)(startup.TotalMilliseconds * 1.2))), what)
                : KillAtPoint("run", crashAt, arguments, what);
            if (!killed) continue;
            _kills++;
            var consistent = Check(what + ", at once", () =>
            {
                var table = ProcIpvs.Read();
                ForeignUntouched(table, foreignLine);
                OwnedCoversKernel(ProcIpvs.Normalize(table, IsForeign), Owned(ownership));
            });
            var started = Stopwatch.StartNew();
            using var restarted = Launch("run", NoCrash, arguments);
            consistent &= Check(what + ", after the restart", () =>
            {
                var expected = Expected(containers);
                WaitFor(restarted, () => expected, () => ProcIpvs.Normalize(ProcIpvs.Read(), IsForeign), () => Owned(ownership));
                if (containers == Big) startup = started.Elapsed;
                ForeignUntouched(ProcIpvs.Read(), foreignLine);
            });
            if (consistent) Note($"{what}: consistent");
            Assert.Equal(0, restarted.Terminate());
        }
        return plan.Count;
    }

    /// <summary>
    /// Which kills, in order: each says how many containers the engine serves for it (so that the pass it interrupts
    /// creates, updates to weight 0, or deletes) and where it dies. From Small to Medium a pass creates 297 entries
    /// (a batch over two datagrams); back to Small a restart deletes the 27 services in one batch.
    /// </summary>
    private static List<(int Containers, string CrashAt)> AgentPlan(Random random, int randomKills)
    {
        // Creating (Small -> Medium): files written are state.json ahead (1), state.json (2), status.json (3).
        string[] creating = ["write-ahead", "batch-messages:1", "batch-messages:27", "batch-messages:200", "batch-messages:256",
            "batch-messages:257", "batch-messages:296", "after-batch", "file-write:1", "file-write:2", "file-write:3", "write-ahead",
            "after-batch", "file-write:2", "batch-messages:150"];
        // Leaving (Medium -> Small) at a restart: one batch of 27 service deletes (the kernel deletes a service's
        // destinations with it; containers that went while the agent was down are not drained). Seen in the VM on
        // 2026-12-08: after-batch:2 and batch-messages:100 and :269 were never reached, so every point is within that batch.
        string[] leaving = ["after-batch:1", "batch-messages:13", "batch-messages:20", "batch-messages:1", "batch-messages:26",
            "file-write:1", "file-write:2", "file-write:3", "after-batch:1", "batch-messages:7", "after-batch:1", "file-write:2",
            "batch-messages:10", "batch-messages:2", "file-write:1"];
        var plan = new List<(int, string)>();
        for (var i = 0; i < creating.Length; i++)
        {
            plan.Add((Medium, creating[i]));
            plan.Add((Small, leaving[i]));
        }
        // A large batch: the 1,100 writes of a 1,000-container start-up, cut after K.
        plan.Add((Big, $"batch-messages:{random.Next(1, 1099)}"));
        plan.Add((Small, "batch-messages:50")); // 97 service deletes in one batch (Big -> Small)
        // Random moments of a 1,000-container start-up: from Small (creating) and from Big (adopting, no writes).
        for (var i = 0; i < randomKills; i++) plan.Add((Big, i % 2 == 0 ? "random (creating)" : "random (adopting)"));
        return plan;
    }

    /// <summary>
    /// serve's kills start from a kernel holding only the foreign services: the agent's (and the foreign destination
    /// put inside one) are deleted with ipvsadm, since to serve they are neither its own nor the foreign ones checked.
    /// </summary>
    private void RemoveAgentServices()
    {
        var present = ProcIpvs.Read().Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
        var deletes = Enumerable.Range(0, Big / PerService).Where(s => present.Contains(AgentServiceKey(s))).Select(s => $"-D -t {VipOf(s)}:80\n");
        var script = Path.Combine(_work, "agent-services.delete");
        File.WriteAllText(script, string.Concat(deletes));
        Node.Sh($"ipvsadm -R < {script}");
        var left = ProcIpvs.Read().Select(v => v.Key).Where(k => !_foreign.ContainsKey(k)).ToList();
        Assert.True(left.Count == 0, $"after the agent's kills, services neither foreign nor the agent's: {string.Join(", ", left)}");
    }

    private static string VipOf(int service) => $"10.200.{service / 250}.{service % 250 + 1}";
    private static string AddressOf(int container) => $"172.18.{container / 250}.{container % 250 + 1}";
    private static string AgentServiceKey(int service) => $"TCP {ProcIpvs.Hex(VipOf(service), 80)}";

    /// <summary>The desired table of bench/fake-docker-engine's first <paramref name="containers"/>, as <see cref="ProcIpvs.Normalize"/> writes it.</summary>
    private static List<string> AgentTable(int containers, string serviceSuffix, string weight)
    {
        var lines = new List<string>();
        for (var s = 0; s * PerService < containers; s++) lines.Add($"{AgentServiceKey(s)} {serviceSuffix}");
        for (var i = 0; i < containers; i++) lines.Add($"{AgentServiceKey(i / PerService)} -> {ProcIpvs.Hex(AddressOf(i), 80)} Masq {weight}");
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private void StartEngine(string socket, string countFile)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[Path.Combine(Node.Repo, "bench/fake-docker-engine"), "--socket", socket, "--containers",
            Big.ToString(CultureInfo.InvariantCulture), "--per-service", PerService.ToString(CultureInfo.InvariantCulture), "--count-file", countFile])
            start.ArgumentList.Add(argument);
        var engine = Process.Start(start)!;
        _processes.Add(new Killer(engine));
        Agent.Until("the scripted engine's socket", () => File.Exists(socket) || engine.HasExited, Converge);
        // Not Assert.False(HasExited, $"...{ReadToEnd()}"): the message is built first, and reading a live process's
        // stderr to the end waits for it to exit, which the engine never does.
        if (engine.HasExited) Assert.Fail($"bench/fake-docker-engine exited: {engine.StandardError.ReadToEnd()}");
    }

    private sealed class Killer(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit(10_000);
            process.Dispose();
        }
    }
}
