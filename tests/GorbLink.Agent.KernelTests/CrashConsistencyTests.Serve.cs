using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GorbLink.Agent.KernelTests;

/// <summary>
/// The same for `gorblink serve`: REST calls (create, delete and re-weight services and backends) until the crash
/// point kills it, or kill -9 at a random moment of a stream of calls; then a restart, and serve's table in the kernel
/// must equal the desired state serve persisted (serve-state.json), which the restart adopted.
/// </summary>
public sealed partial class CrashConsistencyTests
{
    private const string ServeListen = "127.0.0.1:46731";
    private const int ServeServices = 4;
    private const int ServeBackends = 12;

    private int ServeKills(Random random)
    {
        var state = Path.Combine(_work, "serve");
        string[] arguments = ["-i", "lo", "-l", ServeListen, "--state-dir", state];
        var statePath = Path.Combine(state, "serve-state.json");
        var ownership = Path.Combine(state, "serve-ownership.json");
        bool IsForeign(string service, string? destination) => _foreign.ContainsKey(service);

        // A request's files: serve-state.json (1), then, when its pass creates, the ownership file ahead (2) and after (3).
        string[] points = ["write-ahead", "after-batch", "file-write:1", "file-write:2", "file-write:3", "write-ahead:4", "after-batch:7",
            "file-write:8", "file-write:12", "after-batch:13"];
        var plan = points.Concat(Enumerable.Range(0, 6).Select(_ => "random")).Take(Limit).ToList();
        using var http = new HttpClient { BaseAddress = new Uri($"http://{ServeListen}"), Timeout = TimeSpan.FromSeconds(30) };
        foreach (var crashAt in plan)
        {
            var what = $"serve kill {_kills + 1}: {(crashAt == "random" ? "random (during requests)" : $"GORBLINK_CRASH_AT={crashAt}")}";
            var killed = crashAt == "random"
                ? KillAtRandom("serve", arguments, TimeSpan.FromMilliseconds(random.Next(300, 3000)), what,
                    (serve, stop) => { WaitListening(serve); Requests(http, random, 200, stop); })
                : KillAtPoint("serve", crashAt, arguments, what, serve => { WaitListening(serve); Requests(http, random, 200, CancellationToken.None); });
            if (!killed) continue;
            _kills++;
            var consistent = Check(what + ", at once", () =>
            {
                var table = ProcIpvs.Read();
                ForeignUntouched(table, foreignLine: null);
                OwnedCoversKernel(ProcIpvs.Normalize(table, IsForeign), Owned(ownership));
            });
            using var restarted = Launch("serve", NoCrash, arguments);
            consistent &= Check(what + ", after the restart", () =>
            {
                WaitListening(restarted);
                WaitFor(restarted, () => ServeTable(statePath), () => ProcIpvs.Normalize(ProcIpvs.Read(), IsForeign), () => Owned(ownership));
                ForeignUntouched(ProcIpvs.Read(), foreignLine: null);
            });
            if (consistent) Note($"{what}: consistent ({ServeTable(statePath).Count} lines of serve's table)");
            Assert.Equal(0, restarted.Terminate());
        }
        return plan.Count;
    }

    private static void WaitListening(Agent serve) =>
        Agent.Until("serve listening", () => serve.HasExited || serve.Lines.Any(l => l.Contains("listening on", StringComparison.Ordinal)), Converge);

    /// <summary>Random REST calls, one at a time, until <paramref name="count"/> are sent, serve is gone, or <paramref name="stop"/>.</summary>
    private static void Requests(HttpClient http, Random random, int count, CancellationToken stop)
    {
        for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            int s, b;
            lock (random) (s, b) = (random.Next(ServeServices), random.Next(ServeBackends));
            var backendService = b % ServeServices;
            int kind, weight;
            lock (random) (kind, weight) = (random.Next(10), random.Next(0, 101));
            var (method, path, body) = kind switch
            {
                0 or 1 => ("PUT", $"/service/s{s}", $$"""{"host":"10.202.0.{{s + 1}}","port":80,"protocol":"tcp","method":"rr"}"""),
                2 => ("DELETE", $"/service/s{s}", null),
                3 or 4 or 5 => ("PUT", $"/service/s{backendService}/b{b}",
                    $$$"""{"host":"10.202.1.{{{b + 1}}}","port":80,"weight":{{{Math.Max(1, weight)}}},"method":"nat","pulse":{"type":"none"}}"""),
                6 => ("DELETE", $"/service/s{backendService}/b{b}", null),
                _ => ("PATCH", $"/service/s{backendService}/b{b}", $$"""{"weight":{{weight}}}"""),
            };
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            try
            {
                using var response = http.Send(request, stop);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
            {
                return; // serve is gone (killed), or we are told to stop
            }
        }
    }

    /// <summary>serve-state.json as the table it asks of the kernel, normalized like <see cref="ProcIpvs.Normalize"/>.</summary>
    private static List<string> ServeTable(string statePath)
    {
        var lines = new List<string>();
        if (!File.Exists(statePath)) return lines;
        using var document = JsonDocument.Parse(File.ReadAllBytes(statePath));
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in Items(document.RootElement, "services"))
        {
            var options = service.GetProperty("options");
            var key = $"{options.GetProperty("protocol").GetString()!.ToUpperInvariant()} {ProcIpvs.Hex(service.GetProperty("address").GetString()!, options.GetProperty("port").GetInt32())}";
            keys[service.GetProperty("id").GetString()!] = key;
            lines.Add($"{key} {options.GetProperty("method").GetString()}");
        }
        foreach (var backend in Items(document.RootElement, "backends"))
        {
            var options = backend.GetProperty("options");
            var key = keys[backend.GetProperty("service").GetString()!];
            var address = ProcIpvs.Hex(backend.GetProperty("address").GetString()!, options.GetProperty("port").GetInt32());
            lines.Add($"{key} -> {address} Masq {options.GetProperty("weight").GetInt64().ToString(CultureInfo.InvariantCulture)}");
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static IEnumerable<JsonElement> Items(JsonElement root, string name) =>
        root.TryGetProperty(name, out var items) && items.ValueKind == JsonValueKind.Array ? items.EnumerateArray() : [];
}
