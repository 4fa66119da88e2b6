using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace GorbLink.Tests.Cli;

/// <summary>
/// The built agent as a process, in a dry run against bench/fake-docker-engine (20 labelled containers, 2 services):
/// the whole composition with --metrics-listen, --vip-interface and --set-sysctls, and its JSON log's stable event ids.
/// A dry run needs neither IPVS nor privileges, so this runs on any machine.
/// </summary>
public sealed partial class AgentDryRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gorblink-dryrun").FullName;
    private readonly List<Process> _processes = [];

    private static string Repo([CallerFilePath] string source = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "../../.."));

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit(5000);
            process.Dispose();
        }
        Directory.Delete(_dir, recursive: true);
    }

    private Process Start(string file, List<string> lines, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private static List<JsonElement> Events(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        }
    }

    private static async Task<JsonElement> WaitForEvent(List<string> lines, int eventId, Process agent)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var found = Events(lines).FirstOrDefault(e => e.GetProperty("eventId").GetInt32() == eventId);
            if (found.ValueKind == JsonValueKind.Object) return found;
            if (agent.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
                Assert.Fail($"no event {eventId} (agent exited: {agent.HasExited}); log:\n{string.Join('\n', lines.TakeLast(30))}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task DryRunShowsEveryChangeServesMetricsAndHealthAndLogsStableEventIds()
    {
        if (!File.Exists("/usr/bin/python3")) Assert.Skip("python3 is needed for bench/fake-docker-engine");
        var socket = Path.Combine(_dir, "docker.sock");
        var engineLines = new List<string>();
        Start("/usr/bin/python3", engineLines, Path.Combine(Repo(), "bench/fake-docker-engine"), "--socket", socket, "--containers", "20", "--per-service", "10");
        for (var i = 0; i < 100 && !File.Exists(socket); i++) await Task.Delay(50, TestContext.Current.CancellationToken);

        var lines = new List<string>();
        var agent = Start(Path.Combine(AppContext.BaseDirectory, "gorblink"), lines,
            "run", "-i", "lo", "--docker-host", "unix://" + socket, "--state-dir", Path.Combine(_dir, "state"), "--dry-run",
            "--log-format", "json", "--metrics-listen", "127.0.0.1:0", "--vip-interface", "lo", "--set-sysctls");

        var ready = await WaitForEvent(lines, 1001, agent);
        Assert.Equal("AgentReady", ready.GetProperty("event").GetString());
        var listening = await WaitForEvent(lines, 1401, agent);
        var endpoint = listening.GetProperty("Endpoint").GetString()!;

        var events = Events(lines);
        // 2 services and 20 destinations it would create; the 2 VIPs it would add to lo.
        Assert.Equal(22, events.Count(e => e.GetProperty("eventId").GetInt32() == 3002));
        Assert.Equal(["dry run, would add VIP 10.200.0.1/32 on lo", "dry run, would add VIP 10.200.0.2/32 on lo"],
            events.Where(e => e.GetProperty("eventId").GetInt32() == 3204).Select(e => e.GetProperty("msg").GetString()));
        Assert.All(events, e => Assert.False(e.TryGetProperty("EventId", out _))); // shown once, as eventId
        Assert.DoesNotContain(events, e => e.GetProperty("msg").GetString()!.StartsWith("Application started", StringComparison.Ordinal));
        if (!File.Exists("/proc/net/ip_vs"))
        {
            Assert.Contains(events, e => e.GetProperty("eventId").GetInt32() == 1013); // planning against an empty table
            Assert.Contains(events, e => e.GetProperty("eventId").GetInt32() == 1305); // sysctls would fail: no IPVS
        }

        using var http = new HttpClient();
        using var health = await http.GetAsync($"http://{endpoint}/healthz", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var metrics = await http.GetStringAsync($"http://{endpoint}/metrics", TestContext.Current.CancellationToken);
        // The exporter writes a sample without labels as `name{} value`.
        Assert.Matches(@"(?m)^gorblink_docker_connected(\{\})? 1$", metrics);
        Assert.Matches(@"(?m)^gorblink_reconcile_duration_seconds_count(\{\})? 1$", metrics);

        Assert.Equal(0, kill(agent.Id, 15));
        Assert.True(agent.WaitForExit(30_000), "the agent did not exit after SIGTERM");
        Assert.Equal(0, agent.ExitCode);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
