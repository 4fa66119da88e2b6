using System.Net;
using GorbLink.Ipvs;
using GorbLink.Metrics;
using GorbLink.Remote.Metrics;

namespace GorbLink.Tests.Metrics;

/// <summary>
/// Container churn through the real SDK and Prometheus exporter: a few services and destinations at any one time,
/// many more over the agent's life than an instrument's cardinality limit.
/// </summary>
public class SeriesChurnTests
{
    private static readonly SeriesLimits SmallLimits = new(Destinations: 8, Services: 4);

    [Fact]
    public async Task ObjectsComingAndGoingPastTheLimitKeepTheirOwnSeries()
    {
        var probe = new FakeProbe();
        await using var rig = await MetricsRig.StartAsync(probe, export: new MetricsExportOptions { Prometheus = true, Limits = SmallLimits });
        const int Rounds = 30; // each brings a new destination and a new service: 30 + 2 destinations, 30 + 1 services in all
        for (var round = 0; round < Rounds; round++)
        {
            var other = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse($"10.0.1.{round + 1}"), 80);
            var web = Enumerable.Range(round, 3).Select(port => Destination(40_000 + port, weight: 10 + port)).ToArray();
            probe.Owned = [FakeProbe.Web, other];
            probe.Kernel =
            [
                new(new VirtualServiceStatus(new VirtualService(FakeProbe.Web, VirtualServiceSpec.Default), Stats(round)), web),
                new(new VirtualServiceStatus(new VirtualService(other, VirtualServiceSpec.Default), Stats(round)), [Destination(50_000 + round, weight: 1)]),
            ];
            rig.Time.Advance(KernelView.ReuseWindow);

            var lines = await rig.ScrapeLinesAsync();

            Assert.DoesNotContain(lines, l => l.Contains("otel_metric_overflow", StringComparison.Ordinal));
            (string, string)[] webLabels = [("service", "tcp 10.0.0.1:80"), ("name", "web"), ("protocol", "tcp"), ("vip", "10.0.0.1"), ("port", "80")];
            foreach (var d in web)
            {
                (string, string)[] labels = [.. webLabels, ("destination", d.Key.ToString()), ("container", "")];
                Assert.Equal(d.Destination.Spec.Weight, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_weight", labels));
                Assert.Equal(d.Stats.InBytes, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_bytes_total", [.. labels, ("direction", "in")]));
            }
            (string, string)[] otherLabels = [("service", other.ToString()), ("name", ""), ("protocol", "tcp"), ("vip", $"10.0.1.{round + 1}"), ("port", "80")];
            Assert.Equal(round, PrometheusScrape.Value(lines, "gorblink_ipvs_service_connections_total", otherLabels));
            Assert.Equal(1, PrometheusScrape.Value(lines, "gorblink_ipvs_destination_weight", [.. otherLabels, ("destination", $"{FakeProbe.Host}:{50_000 + round}"), ("container", "")]));
            // What left the kernel is gone from the scrape.
            Assert.Equal(4, lines.Count(l => l.StartsWith("gorblink_ipvs_destination_weight{", StringComparison.Ordinal)));
            Assert.Equal(2, lines.Count(l => l.StartsWith("gorblink_ipvs_service_connections_total{", StringComparison.Ordinal)));
        }
        Assert.True(rig.Export.Generation > 1, "the meter provider was built again");
    }

    private static DestinationStatus Destination(int port, int weight) =>
        new(new Destination(new DestinationKey(FakeProbe.Host, (ushort)port), new DestinationSpec { Weight = weight }), 0, 0, 0,
            new IpvsStats { Connections = (ulong)port, InBytes = (ulong)port * 64, OutBytes = (ulong)port * 128 });

    private static IpvsStats Stats(int round) => new() { Connections = (ulong)round };
}
