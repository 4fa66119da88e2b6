using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Docker;
using GorbLink.Docker.Engine;

namespace GorbLink.Bench;

/// <summary>
/// Port ranges must cost linear time (issue 15, finding 10): for 1k, 2k, 4k … ports, the time to map an inspect
/// result of `-p 1-n:1-n/udp` (two bindings per port), to read its labels three ways and to build its desired state,
/// and the ratio per doubling. The tests check linearity as allocated bytes (GorbLink.Testing LinearWork); the times are here.
/// Linear work doubles (ratio ≈ 2); quadratic work quadruples (ratio ≈ 4).
/// </summary>
internal static class PortRangeBench
{
    private const string Command = "dotnet run -c Release --project bench/GorbLink.Bench -- ports";
    private static readonly LabelOptions Labels = LabelOptions.ForInterface([IPAddress.Parse("192.0.2.10")]);

    public static void Run(int max)
    {
        Console.WriteLine($"$ {Command}");
        Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} CPUs");
        Console.WriteLine("best of 3, ms; map = ContainerMapper (ExposedPorts + NetworkSettings.Ports);");
        Console.WriteLine("published = labels, default ports; listed = gorb.ports naming every port; container = EXPOSE + gorb.backend=container + gorb.ports;");
        Console.WriteLine("desired = DesiredStateBuilder over the published container");
        Console.WriteLine();
        Console.WriteLine($"{"ports",8} {"map",9} {"published",10} {"listed",9} {"container",10} {"desired",9} {"total",9} {"ratio",6}");
        Measure(1000); // warm-up: JIT and tiering, not printed
        double? previous = null;
        for (var n = 1000; n <= Math.Min(max, ushort.MaxValue); n *= 2)
        {
            var (map, published, listed, container, desired) = Measure(n);
            var total = map + published + listed + container + desired;
            var ratio = previous is { } p ? (total / p).ToString("0.00", CultureInfo.InvariantCulture) : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n,8} {map,9:0.0} {published,10:0.0} {listed,9:0.0} {container,10:0.0} {desired,9:0.0} {total,9:0.0} {ratio,6}"));
            previous = total;
        }
    }

    private static (double Map, double Published, double Listed, double Container, double Desired) Measure(int n)
    {
        var exposed = new Dictionary<string, EmptyObject>(n);
        var ports = new Dictionary<string, List<InspectPortBinding>?>(n);
        for (var p = 1; p <= n; p++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{p}/udp");
            var hostPort = p.ToString(CultureInfo.InvariantCulture);
            exposed.Add(key, new EmptyObject());
            ports.Add(key, [new InspectPortBinding { HostIp = "0.0.0.0", HostPort = hostPort }, new InspectPortBinding { HostIp = "::", HostPort = hostPort }]);
        }
        var portsLabel = string.Join(',', Enumerable.Range(1, n).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p}/udp")));

        ContainerRecord record = null!;
        var map = Best(() =>
        {
            record = new ContainerRecord
            {
                Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                Name = "wide",
                Image = "nginx:1.27",
                Labels = ImmutableDictionary<string, string>.Empty.Add("gorb.enable", "true"),
                ExposedPorts = ContainerMapper.MapExposedPorts(exposed),
                PublishedPorts = ContainerMapper.MapPublishedPorts(ports),
                Networks = [new ContainerNetwork("bridge", IPAddress.Parse("172.17.0.2"), null)],
            };
        });
        var listedRecord = record with { Labels = record.Labels.Add("gorb.ports", portsLabel) };
        var containerRecord = listedRecord with { Labels = listedRecord.Labels.Add("gorb.backend", "container"), PublishedPorts = [] };
        return (map, Best(() => Parse(record, n)), Best(() => Parse(listedRecord, n)), Best(() => Parse(containerRecord, n)),
            Best(() => Build(record, n)));
    }

    private static void Parse(ContainerRecord container, int n)
    {
        var result = ContainerLabels.Parse(container, Labels);
        if (result.Intent?.Endpoints.Length != n)
            throw new InvalidOperationException($"expected {n} endpoints: {result}");
    }

    private static void Build(ContainerRecord container, int n)
    {
        var state = new DesiredStateBuilder(Labels).Build([container]);
        if (state.Services.Count != n) throw new InvalidOperationException($"expected {n} services, got {state.Services.Count}");
    }

    private static double Best(Action action)
    {
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
