using System.Net;

namespace GorbLink.Ipvs.KernelTests;

public class DestinationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static Destination Dest(string address, ushort port, DestinationSpec spec) => new(new DestinationKey(IPAddress.Parse(address), port), spec);

    [Fact]
    public async Task NatDirectRouteAndTunnelDestinationsRoundTrip()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        await ipvs.CreateServiceAsync(new VirtualService(Web, new VirtualServiceSpec { Scheduler = "wrr" }), Ct);
        Destination[] destinations =
        [
            Dest("10.1.0.1", 8080, new DestinationSpec { Forward = ForwardMethod.Nat, Weight = 5, UpperThreshold = 100, LowerThreshold = 10 }),
            Dest("10.1.0.2", 80, new DestinationSpec { Forward = ForwardMethod.DirectRoute, Weight = 1 }),
            Dest("10.1.0.3", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 2, TunnelType = TunnelType.Ipip }),
            Dest("10.1.0.4", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 2, TunnelType = TunnelType.Gue, TunnelPort = 6080 }),
            Dest("10.1.0.5", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 2, TunnelType = TunnelType.Gre }),
            // A tunnel service may mix families: an IPv6 destination on an IPv4 service.
            Dest("fd00::5", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 3, TunnelType = TunnelType.Ipip }),
        ];
        foreach (var destination in destinations) await ipvs.CreateDestinationAsync(Web, destination, Ct);

        var read = (await ipvs.GetDestinationsAsync(Web, Ct)).Select(d => d.Destination).ToHashSet();
        Assert.Equal(destinations.ToHashSet(), read);
        var save = KernelIpvs.IpvsadmSave();
        // ipvsadm -S does not print thresholds; our reader checked them above.
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 5", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.2:80 -g -w 1", save);
        Assert.Contains(save, l => l.StartsWith("-a -t 10.0.0.1:80 -r 10.1.0.4:80 -i -w 2") && l.Contains("gue") && l.Contains("6080"));
        Assert.Contains(save, l => l.StartsWith("-a -t 10.0.0.1:80 -r [fd00::5]:80 -i -w 3"));
    }

    [Fact]
    public async Task UpdateChangesWeightInPlaceAndDeleteRemovesOnlyThatDestination()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        await ipvs.CreateServiceAsync(new VirtualService(Web, VirtualServiceSpec.Default), Ct);
        var a = Dest("10.1.0.1", 8080, new DestinationSpec { Weight = 1 });
        var b = Dest("10.1.0.2", 8080, new DestinationSpec { Weight = 1 });
        await ipvs.CreateDestinationAsync(Web, a, Ct);
        await ipvs.CreateDestinationAsync(Web, b, Ct);

        await ipvs.UpdateDestinationAsync(Web, a with { Spec = a.Spec with { Weight = 0 } }, Ct);
        await ipvs.DeleteDestinationAsync(Web, b.Key, Ct);

        var only = Assert.Single(await ipvs.GetDestinationsAsync(Web, Ct));
        Assert.Equal((a.Key, 0), (only.Key, only.Destination.Spec.Weight));
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 0", KernelIpvs.IpvsadmSave());
    }

    [Fact]
    public async Task DestinationErrorsNameTheDestinationAndService()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var a = Dest("10.1.0.1", 8080, DestinationSpec.Default);
        var noService = await Assert.ThrowsAsync<IpvsException>(() => ipvs.CreateDestinationAsync(Web, a, Ct));
        Assert.Equal("cannot add destination 10.1.0.1:8080 of service tcp 10.0.0.1:80: no such service tcp 10.0.0.1:80", noService.Message);

        await ipvs.CreateServiceAsync(new VirtualService(Web, VirtualServiceSpec.Default), Ct);
        await ipvs.CreateDestinationAsync(Web, a, Ct);
        var exists = await Assert.ThrowsAsync<IpvsException>(() => ipvs.CreateDestinationAsync(Web, a, Ct));
        Assert.Equal("destination 10.1.0.1:8080 of service tcp 10.0.0.1:80 already exists", exists.Message);

        var missing = await Assert.ThrowsAsync<IpvsException>(() => ipvs.DeleteDestinationAsync(Web, new DestinationKey(IPAddress.Parse("10.1.0.9"), 1), Ct));
        Assert.Equal("no such destination 10.1.0.9:1 of service tcp 10.0.0.1:80", missing.Message);

        var wrongFamily = await Assert.ThrowsAsync<IpvsException>(() =>
            ipvs.CreateDestinationAsync(Web, Dest("fd00::1", 80, DestinationSpec.Default), Ct));
        Assert.Equal(22, wrongFamily.Errno);
        Assert.Contains("destination [fd00::1]:80 of service tcp 10.0.0.1:80", wrongFamily.Message);

        var badThreshold = await Assert.ThrowsAsync<IpvsException>(() =>
            ipvs.CreateDestinationAsync(Web, Dest("10.1.0.3", 80, new DestinationSpec { UpperThreshold = 5, LowerThreshold = 10 }), Ct));
        Assert.Contains("out of range", badThreshold.Message);
    }

    [Fact]
    public async Task BatchOfThousandsAppliesInOrderAndNamesTheOneFailure()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var operations = new List<IpvsOperation>();
        for (var s = 0; s < 200; s++)
        {
            var key = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse($"10.2.{s / 250}.{s % 250 + 1}"), 80);
            operations.Add(new IpvsOperation.CreateService(new VirtualService(key, new VirtualServiceSpec { Scheduler = "rr" })));
            for (var d = 0; d < 5; d++)
                operations.Add(new IpvsOperation.CreateDestination(key, Dest($"10.3.{s % 250}.{d + 1}", 8080, DestinationSpec.Default)));
        }
        // A duplicate in the middle: the kernel refuses it and applies the rest.
        var duplicate = (IpvsOperation.CreateDestination)operations[601];
        operations.Insert(602, duplicate);

        var result = await ipvs.ExecuteAsync(operations, Ct);

        var failure = Assert.Single(result.Failures);
        Assert.Equal($"{duplicate.Target} already exists", failure.Message);
        var save = KernelIpvs.IpvsadmSave();
        Assert.Equal(200, save.Count(l => l.StartsWith("-A ")));
        Assert.Equal(1000, save.Count(l => l.StartsWith("-a ")));
        var table = await ipvs.GetTableAsync(Ct);
        Assert.Equal(1000, table.Sum(t => t.Destinations.Count));
    }

    [Fact]
    public async Task CountersAreReadAndZeroed()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        await ipvs.CreateServiceAsync(new VirtualService(Web, VirtualServiceSpec.Default), Ct);
        await ipvs.ZeroAsync(Web, Ct);
        await ipvs.ZeroAsync(null, Ct);
        var status = await ipvs.GetServiceAsync(Web, Ct);
        Assert.Equal(0ul, status!.Stats.Connections);
        var missing = await Assert.ThrowsAsync<IpvsException>(() =>
            ipvs.ZeroAsync(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.9.9.9"), 1), Ct));
        Assert.Contains("no such service tcp 10.9.9.9:1", missing.Message);
    }
}
