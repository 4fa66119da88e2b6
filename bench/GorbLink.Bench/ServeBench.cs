using static GorbLink.Bench.BenchStatistics;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using GorbLink.Core.IO;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Remote.Server;
using GorbLink.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Bench;

/// <summary>
/// `gorblink serve` in-process on 127.0.0.1 over the in-memory kernel, with its state directory on disk (fsync included):
/// an empty daemon is filled with N backends by REST calls (PUT /service/{vs}/{rs}) from 1 and from several clients at
/// once, as agents refilling a director do. Prints creates/s per tenth of the fill (how the cost of one call grows with
/// the table), GET /service/{id} latency, memory, and where a call's time goes.
/// </summary>
internal static class ServeBench
{
    public const string Command = "dotnet run -c Release --project bench/GorbLink.Bench -- serve";
    private const int BackendsPerService = 100;
    private const int Gets = 500;

    /// <param name="stateRoot">Where the state directory is made: /dev/shm (tmpfs, where fsync costs nothing) shows the share of fsync.</param>
    public static async Task RunAsync(IReadOnlyList<int> sizes, IReadOnlyList<int> clientCounts, string stateRoot)
    {
        Console.WriteLine($"$ {Command} --backends {string.Join(',', sizes)} --clients {string.Join(',', clientCounts)} --state-root {stateRoot}");
        Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} CPUs, " +
            $"{(IsOptimized() ? "Release" : "Debug (numbers not meaningful)")}; state directory in {stateRoot}; {BackendsPerService} backends per service");
        foreach (var size in sizes)
        {
            foreach (var clients in clientCounts)
            {
                Console.WriteLine();
                await RunOnceAsync(size, clients, stateRoot);
            }
        }
    }

    /// <summary>`serve --parts-only`: the per-request parts alone, on a table made of the same bodies without REST calls (seconds, not minutes).</summary>
    public static async Task RunPartsAsync(IReadOnlyList<int> sizes)
    {
        Console.WriteLine($"$ {Command} --backends {string.Join(',', sizes)} --parts-only");
        foreach (var backends in sizes)
        {
            var services = (backends + BackendsPerService - 1) / BackendsPerService;
            var document = new ServeStateDocument
            {
                Services = [.. Enumerable.Range(0, services).Select(s => new ServeStateService
                {
                    Id = $"svc-{s}",
                    Address = $"10.1.{s / 250}.{s % 250 + 1}",
                    Options = JsonSerializer.Deserialize(ServiceBody(s), GorbLink.Remote.Protocol.GorbJsonContext.Default.GorbServiceOptions),
                })],
                Backends = [.. Enumerable.Range(0, backends).Select(i => new ServeStateBackend
                {
                    Id = $"b{i}",
                    Service = $"svc-{i / BackendsPerService}",
                    Address = $"10.2.{i / 250}.{i % 250 + 1}",
                    Options = JsonSerializer.Deserialize(BackendBody(i), GorbLink.Remote.Protocol.GorbJsonContext.Default.GorbBackendOptions),
                })],
            };
            Console.Write($"{backends} backends:");
            await PrintPassPartsAsync(document);
        }
    }

    private static async Task RunOnceAsync(int backends, int clients, string stateRoot)
    {
        var directory = Path.Combine(stateRoot, "gorblink-bench-serve-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var passes = new PassLog();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(passes).SetMinimumLevel(LogLevel.Debug));
        var options = new ServeOptions
        {
            Listen = "127.0.0.1:0",
            DefaultHost = IPAddress.Parse("10.1.0.1"),
            StateDirectory = directory,
            EnablePulses = false,
            // No resync pass in the middle of the figures.
            ResyncInterval = TimeSpan.FromHours(1),
            Metrics = new GorbLink.Remote.Metrics.MetricsExportOptions { Prometheus = true, MeterName = "GorbLink.Bench." + Guid.NewGuid().ToString("N") },
        };
        var server = await GorbServer.StartAsync(options, new FakeIpvsClient(), loggers);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64 };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        try
        {
            var services = (backends + BackendsPerService - 1) / BackendsPerService;
            for (var s = 0; s < services; s++) await PutAsync(http, $"/service/svc-{s}", ServiceBody(s));
            passes.Clear();

            // Client k sends backends k, k + clients, ...: each client one call at a time, as an agent does.
            var done = new long[backends];
            var latency = new double[backends];
            var next = -1;
            var completed = 0;
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < backends)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    await PutAsync(http, $"/service/svc-{i / BackendsPerService}/b{i}", BackendBody(i));
                    var t1 = Stopwatch.GetTimestamp();
                    latency[i] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                    done[i] = t1;
                    if (Interlocked.Increment(ref completed) % (backends / 10) == 0)
                        Console.Error.WriteLine($"  ... {completed} of {backends} after {Stopwatch.GetElapsedTime(start).TotalSeconds:0} s");
                }
            })));
            var total = Stopwatch.GetElapsedTime(start);
            var passTimes = passes.Take();

            Console.WriteLine($"{backends} backends in {services} services, {clients} client{(clients == 1 ? "" : "s")} at once: " +
                $"{total.TotalSeconds:0.0} s, {backends / total.TotalSeconds:0} creates/s overall, {passTimes.Count} kernel passes");
            Console.WriteLine("  tenth of the fill        creates/s   call ms (mean)   kernel pass ms (mean)");
            var order = done.Order().ToArray();
            var byCompletion = Enumerable.Range(0, backends).OrderBy(i => done[i]).ToArray();
            for (var d = 0; d < 10; d++)
            {
                var from = d * backends / 10;
                var to = (d + 1) * backends / 10;
                var began = from == 0 ? start : order[from - 1];
                var seconds = Stopwatch.GetElapsedTime(began, order[to - 1]).TotalSeconds;
                var calls = byCompletion[from..to].Average(i => latency[i]);
                var passFrom = d * passTimes.Count / 10;
                var passTo = Math.Max(passFrom + 1, (d + 1) * passTimes.Count / 10);
                var pass = passTimes.Count == 0 ? 0 : passTimes[passFrom..Math.Min(passTo, passTimes.Count)].Average();
                Console.WriteLine($"  {from,6}..{to,-6}          {(to - from) / seconds,9:0}   {calls,14:0.00}   {pass,21:0.00}");
            }

            var gets = new double[Gets];
            var random = new Random(1);
            for (var g = -50; g < Gets; g++)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(new Uri($"/service/svc-{random.Next(services)}", UriKind.Relative));
                _ = await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"GET: {response.StatusCode}");
                if (g >= 0) gets[g] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Console.WriteLine($"  GET /service/{{id}} ({BackendsPerService} backends each), {Gets} calls: median {Percentile(gets, 0.5):0.00} ms, p95 {Percentile(gets, 0.95):0.00} ms");

            // A PATCH to the weight a backend already has: one state write and one kernel pass with nothing to do, so
            // no ownership write. With GET (HTTP alone) and the file costs below, it splits a call's time.
            passes.Clear();
            var patches = new double[Gets / 5];
            for (var p = -10; p < patches.Length; p++)
            {
                var i = random.Next(backends);
                var t0 = Stopwatch.GetTimestamp();
                await SendAsync(http, HttpMethod.Patch, $"/service/svc-{i / BackendsPerService}/b{i}", """{"weight":100}""");
                if (p >= 0) patches[p] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            var noOpPasses = passes.Take().ToArray();
            Console.WriteLine($"  PATCH to the same weight (state write + a pass with nothing to do), {patches.Length} calls: " +
                $"median {Percentile(patches, 0.5):0.00} ms, p95 {Percentile(patches, 0.95):0.00} ms; its kernel pass median {Percentile(noOpPasses, 0.5):0.00} ms");

            var heap = GC.GetTotalMemory(forceFullCollection: true);
            using var process = Process.GetCurrentProcess();
            Console.WriteLine($"  memory (bench process: daemon + clients): RSS {process.WorkingSet64 / 1048576.0:0} MB, GC heap {heap / 1048576.0:0.0} MB");
            PrintFileCosts(options);
            await PrintPassPartsAsync(ServeStateFile.Read(options.StatePath)!);
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// What rewriting serve's two files once costs at this size: serve-state.json (once per request) and
    /// serve-ownership.json (twice per creating pass: write-ahead and after the batch), split into serializing,
    /// writing, and fsync (file and directory).
    /// </summary>
    private static void PrintFileCosts(ServeOptions options)
    {
        const int rounds = 20;
        var document = ServeStateFile.Read(options.StatePath)!;
        var serialize = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            _ = JsonSerializer.SerializeToUtf8Bytes(document, ServeJsonContext.Default.ServeStateDocument);
            serialize[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        var state = File.ReadAllBytes(options.StatePath);
        var ownership = File.ReadAllBytes(options.OwnershipPath);
        var scratch = Path.Combine(options.StateDirectory, "scratch.json");
        Console.WriteLine($"  serve-state.json {state.Length / 1024.0:0} KiB: serialize {Percentile(serialize, 0.5):0.00} ms, " +
            $"write {WriteMedian(scratch, state, false, rounds):0.00} ms, write + fsync {WriteMedian(scratch, state, true, rounds):0.00} ms (medians)");
        Console.WriteLine($"  serve-ownership.json {ownership.Length / 1024.0:0} KiB: " +
            $"write {WriteMedian(scratch, ownership, false, rounds):0.00} ms, write + fsync {WriteMedian(scratch, ownership, true, rounds):0.00} ms (medians)");
    }

    /// <summary>
    /// One request's share of work outside the files, rebuilt from serve-state.json at this size: serve's whole desired
    /// state built from its tables (ServeState.Build, under the state lock), serve-state.json written as ServeState.Save
    /// does (sorting included, on tmpfs: no fsync), and a kernel pass with nothing to do, whole (as the request waits for
    /// it) against the part the reconciler times itself (the rest is the status it computes after).
    /// </summary>
    private static async Task PrintPassPartsAsync(ServeStateDocument document)
    {
        const int rounds = 10;
        var scratch = Directory.CreateTempSubdirectory("gorblink-bench-parts-").FullName;
        try
        {
            var state = new ServeState(Path.Combine(scratch, "serve-state.json"), NullLogger.Instance);
            state.Change(t =>
            {
                foreach (var s in document.Services!)
                    t.Services.Add(s!.Id!, ServeValidation.BuildService(s.Id!, s.Options!, IPAddress.Parse(s.Address!)));
                foreach (var b in document.Backends!)
                {
                    var service = t.Services[b!.Service!];
                    t.Backends.Add(b.Id!, ServeValidation.BuildBackend(b.Id!, service, b.Options!, IPAddress.Parse(b.Address!)));
                    service.Backends.Add(b.Id!);
                }
            }, save: false);
            var kernel = new FakeIpvsClient();
            var reconciler = new Reconciler(kernel, new OwnershipStore(new OwnershipOptions { Path = Path.Combine(scratch, "ownership.json") }),
                new ReconcilerOptions { DrainTimeout = TimeSpan.Zero, WriteStatus = false });
            await reconciler.ReconcileAsync(state.Build(null, [default]).For(default));
            var build = new double[rounds];
            var save = new double[rounds];
            var whole = new double[rounds];
            var timed = new double[rounds];
            for (var r = 0; r < rounds; r++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var desired = state.Build(null, [default]).For(default);
                var t1 = Stopwatch.GetTimestamp();
                state.Read(t =>
                {
                    ServeStateFile.Write(Path.Combine("/dev/shm", Path.GetFileName(scratch) + ".json"), t.Services.Values, t.Backends.Values);
                    return 0;
                });
                var t2 = Stopwatch.GetTimestamp();
                var result = await reconciler.ReconcileAsync(desired);
                if (!result.Plan.IsEmpty) throw new InvalidOperationException("expected a pass with nothing to do");
                build[r] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                save[r] = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
                whole[r] = Stopwatch.GetElapsedTime(t2).TotalMilliseconds;
                timed[r] = result.Duration.TotalMilliseconds;
            }
            File.Delete(Path.Combine("/dev/shm", Path.GetFileName(scratch) + ".json"));
            Console.WriteLine($"  per request, rebuilt at this size (medians of {rounds}): desired state built {Percentile(build, 0.5):0.00} ms, " +
                $"serve-state.json sorted + serialized + written (no fsync) {Percentile(save, 0.5):0.00} ms, " +
                $"no-op kernel pass {Percentile(whole, 0.5):0.00} ms (of which the reconciler's own timing {Percentile(timed, 0.5):0.00} ms, the rest its status)");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static double WriteMedian(string path, byte[] content, bool durable, int rounds)
    {
        var times = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            AtomicFile.Write(path, content, durable);
            times[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return Percentile(times, 0.5);
    }

    private static string ServiceBody(int s) =>
        $$"""{"host":"10.1.{{s / 250}}.{{s % 250 + 1}}","port":80,"protocol":"tcp","method":"rr"}""";

    private static string BackendBody(int i) =>
        $$$"""{"host":"10.2.{{{i / 250}}}.{{{i % 250 + 1}}}","port":8080,"weight":100,"method":"nat","pulse":{"type":"none"}}""";

    private static Task PutAsync(HttpClient http, string path, string body) => SendAsync(http, HttpMethod.Put, path, body);

    private static async Task SendAsync(HttpClient http, HttpMethod method, string path, string body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }


    /// <summary>The reconciler's own timing of each kernel pass (events 3006 "reconciled in ... ms" and 3007, unchanged).</summary>
    private sealed class PassLog : ILoggerProvider, ILogger
    {
        private readonly Lock _lock = new();
        private List<double> _passes = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id is not (3006 or 3007) || state is not IReadOnlyList<KeyValuePair<string, object?>> fields) return;
            foreach (var (name, value) in fields)
            {
                if (name != "Milliseconds" || value is not double milliseconds) continue;
                lock (_lock) _passes.Add(milliseconds);
            }
        }

        public void Clear()
        {
            lock (_lock) _passes = [];
        }

        public List<double> Take()
        {
            lock (_lock) return [.. _passes];
        }

        public void Dispose()
        {
        }
    }
}

internal static class ServeBenchArguments
{
    public static string Text(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    public static IReadOnlyList<int> List(string[] args, string name, IReadOnlyList<int> fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length
            ? [.. args[i + 1].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))]
            : fallback;
    }
}
