using static GorbLink.Bench.BenchStatistics;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Ownership;
using GorbLink.Core.Planning;
using GorbLink.Core.Reconcile;
using GorbLink.Testing;
using GorbLink.Ipvs;

namespace GorbLink.Bench;

internal static class Program
{
    private const string Command = "dotnet run -c Release --project bench/GorbLink.Bench -- reconcile";

    private static async Task<int> Main(string[] args)
    {
        if (args is ["ports", ..])
        {
            PortRangeBench.Run(Option(args, "--max", 64_000));
            return 0;
        }
        if (args is ["ipvs-phases", ..])
        {
            await IpvsPhaseBench.RunAsync(Option(args, "--services", 1000), Option(args, "--dests", 10),
                Option(args, "--iterations", 5), args.Contains("--kernel"));
            return 0;
        }
        if (args is ["serve", ..] && args.Contains("--parts-only"))
        {
            await ServeBench.RunPartsAsync(ServeBenchArguments.List(args, "--backends", [1000, 10_000]));
            return 0;
        }
        if (args is ["serve", ..])
        {
            await ServeBench.RunAsync(ServeBenchArguments.List(args, "--backends", [1000, 10_000]), ServeBenchArguments.List(args, "--clients", [1, 4]),
                ServeBenchArguments.Text(args, "--state-root", Path.GetTempPath()));
            return 0;
        }
        if (args is not ["reconcile", ..])
        {
            Console.Error.WriteLine("usage: GorbLink.Bench reconcile [--containers N] [--iterations N] | ports [--max N] | " +
                "ipvs-phases [--services N] [--dests N] [--iterations N] [--kernel] | serve [--backends N,N] [--clients N,N] [--state-root DIR] [--parts-only]");
            return 2;
        }
        var containers = Option(args, "--containers", 1000);
        var iterations = Option(args, "--iterations", 200);
        await ReconcileBench.RunAsync(containers, iterations, Command);
        return 0;
    }

    internal static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

internal static class ReconcileBench
{
    private const int ContainersPerService = 20;
    private static readonly IPAddress Host = IPAddress.Parse("192.0.2.10");
    private static readonly LabelOptions Labels = LabelOptions.ForInterface([Host]);

    /// <summary>Container i: service "svc-(i / 20)" on VIP 10.1.x.y, ports 80 and 443 published on distinct host ports.</summary>
    private static ContainerRecord Container(int i)
    {
        var service = i / ContainersPerService;
        var vip = $"10.1.{service / 250}.{service % 250 + 1}";
        return new ContainerRecord
        {
            Id = i.ToString("x64", CultureInfo.InvariantCulture),
            Name = $"app-{i}",
            Image = "nginx:1.27",
            Created = DateTimeOffset.UnixEpoch.AddSeconds(i),
            Labels = ImmutableDictionary<string, string>.Empty
                .Add("gorb.enable", "true").Add("gorb.service", $"svc-{service}").Add("gorb.vip", vip),
            ExposedPorts = ["80/tcp", "443/tcp"],
            PublishedPorts =
            [
                new PortBinding(80, "tcp", IPAddress.Any, (ushort)(20000 + 2 * i)),
                new PortBinding(443, "tcp", IPAddress.Any, (ushort)(20001 + 2 * i)),
            ],
        };
    }

    public static async Task RunAsync(int count, int iterations, string command)
    {
        Console.WriteLine($"$ {command}");
        Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} CPUs, " +
            $"{(Debugger.IsAttached ? "debugger attached, " : "")}{(IsOptimized() ? "Release" : "Debug (numbers not meaningful)")}");
        var containers = Enumerable.Range(0, count).Select(Container).ToList();
        var snapshot = new ContainerSnapshot(1, containers.ToImmutableDictionary(c => c.Id));
        Console.WriteLine($"{count} containers x 2 ports, published mode, {ContainersPerService} containers per service " +
            $"-> {(count + ContainersPerService - 1) / ContainersPerService * 2} virtual services, {count * 2} destinations");
        Console.WriteLine();

        await RecomputeAsync(snapshot, iterations);
        Console.WriteLine();
        await BurstAsync(containers);
    }

    private static async Task RecomputeAsync(ContainerSnapshot snapshot, int iterations)
    {
        // The actual table equals the desired state, as a kernel reads it back (HASHED, netmask, ...).
        var kernel = new FakeIpvsClient();
        var builder = new DesiredStateBuilder(Labels);
        var desired = builder.Build(snapshot);
        await kernel.ExecuteAsync(IpvsPlanner.Plan(desired.Services, []).Operations);
        var actual = await kernel.GetTableAsync();
        var options = new IpvsPlannerOptions { Prune = true };

        var warm = new double[iterations];
        var cold = new double[iterations];
        var previous = desired;
        for (var i = -20; i < iterations; i++) // 20 warm-up rounds
        {
            var t0 = Stopwatch.GetTimestamp();
            var state = builder.Build(snapshot, previous);
            var plan = IpvsPlanner.Plan(state.Services, actual, options);
            var t1 = Stopwatch.GetTimestamp();
            var fresh = new DesiredStateBuilder(Labels).Build(snapshot, previous);
            var coldPlan = IpvsPlanner.Plan(fresh.Services, actual, options);
            var t2 = Stopwatch.GetTimestamp();
            if (!plan.IsEmpty || !coldPlan.IsEmpty || state.Errors.Count > 0) throw new InvalidOperationException($"expected no changes: {plan.Summary()}");
            previous = state;
            if (i < 0) continue;
            warm[i] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            cold[i] = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
        }

        // A whole no-op reconcile pass: dump of the in-memory kernel, ownership scoping, plan, status file.
        var directory = Path.Combine(Path.GetTempPath(), "gorblink-bench-" + Guid.NewGuid().ToString("N"));
        var pass = new double[iterations];
        try
        {
            var reconcileKernel = new FakeIpvsClient();
            var reconciler = new Reconciler(reconcileKernel, new OwnershipStore(new OwnershipOptions { Path = Path.Combine(directory, "state.json") }));
            await reconciler.ReconcileAsync(desired);
            for (var i = -20; i < iterations; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var result = await reconciler.ReconcileAsync(builder.Build(snapshot, previous));
                if (!result.Plan.IsEmpty) throw new InvalidOperationException("expected a no-op pass");
                if (i >= 0) pass[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Console.WriteLine($"recompute + diff (DesiredStateBuilder.Build + IpvsPlanner.Plan, actual table = desired), {iterations} iterations:");
        Console.WriteLine($"  steady state (labels of unchanged containers cached): median {Median(warm):0.00} ms, p95 {P95(warm):0.00} ms   (target: median < 5 ms)");
        Console.WriteLine($"  cold (new builder, every label parsed again):          median {Median(cold):0.00} ms, p95 {P95(cold):0.00} ms");
        Console.WriteLine($"  whole no-op Reconciler pass (dump, scoping, plan, status file): median {Median(pass):0.00} ms, p95 {P95(pass):0.00} ms");
    }

    private static async Task BurstAsync(List<ContainerRecord> containers)
    {
        var kernel = new FakeIpvsClient();
        var directory = Path.Combine(Path.GetTempPath(), "gorblink-bench-" + Guid.NewGuid().ToString("N"));
        var store = new ContainerStore();
        var loopOptions = new ReconcileLoopOptions();
        var reconciler = new Reconciler(kernel, new OwnershipStore(new OwnershipOptions { Path = Path.Combine(directory, "state.json") }));
        var loop = new ReconcileLoop(store, new DesiredStateBuilder(Labels), reconciler, loopOptions);
        using var stop = new CancellationTokenSource();
        var running = loop.RunAsync(stop.Token);
        try
        {
            store.ReplaceAll([]);
            await loop.FirstPassCompleted.WaitAsync(TimeSpan.FromSeconds(30));
            var passesBefore = loop.Counters.Passes;

            var t0 = Stopwatch.GetTimestamp();
            foreach (var container in containers) store.Upsert(container); // what the Docker side does per start event
            var upserted = Stopwatch.GetElapsedTime(t0);
            var expected = containers.Count * 2;
            while (kernel.DestinationCount < expected || loop.State != ReconcileLoopState.Idle)
            {
                if (Stopwatch.GetElapsedTime(t0) > TimeSpan.FromSeconds(60)) throw new TimeoutException("the burst did not converge in 60 s");
                await Task.Delay(1);
            }
            var converged = Stopwatch.GetElapsedTime(t0);
            var passes = loop.Counters.Passes - passesBefore;
            var batches = kernel.ExecuteCalls;
            var writes = kernel.Writes;

            var missing = 0;
            foreach (var container in containers)
            {
                var desired = ContainerLabels.Parse(container, Labels).Intent!;
                foreach (var endpoint in desired.Endpoints)
                {
                    if (!kernel.Has(endpoint.Service, endpoint.Destination)) missing++;
                }
            }

            Console.WriteLine($"burst of {containers.Count} start events (ContainerStore.Upsert) into a running ReconcileLoop, in-memory IPVS, coalescing delay {loopOptions.CoalesceDelay.TotalMilliseconds:0} ms:");
            Console.WriteLine($"  events queued in {upserted.TotalMilliseconds:0.0} ms; converged {converged.TotalMilliseconds:0} ms after the first event " +
                $"({(converged - loopOptions.CoalesceDelay).TotalMilliseconds:0} ms without the coalescing delay)");
            Console.WriteLine($"  kernel: {kernel.ServiceCount} services, {kernel.DestinationCount}/{expected} destinations, {missing} missing -> {(missing == 0 ? "none lost" : "LOST EVENTS")}");
            Console.WriteLine($"  reconcile passes: {passes}, batches sent: {batches}, writes: {writes}   (target: one batched reconcile)");
        }
        finally
        {
            await stop.CancelAsync();
            await running;
            Directory.Delete(directory, recursive: true);
        }
    }

}
