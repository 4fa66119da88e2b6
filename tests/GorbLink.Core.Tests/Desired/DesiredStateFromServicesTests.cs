using System.Net;
using GorbLink.Core.Desired;
using GorbLink.Core.Tests.Reconcile;
using GorbLink.Ipvs;

namespace GorbLink.Core.Tests.Desired;

/// <summary>A desired state from a source other than containers (serve's REST API), through the same reconciler.</summary>
public sealed class DesiredStateFromServicesTests
{
    private static readonly VirtualServiceKey A = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.2"), 80);
    private static readonly VirtualServiceKey B = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    private static Destination Dest(string address, int weight = 1) =>
        new(new DestinationKey(IPAddress.Parse(address), 80), new DestinationSpec { Weight = weight });

    [Fact]
    public void ServicesAndDestinationsAreSortedAndNamed()
    {
        var state = DesiredState.FromServices(
            [("a", new DesiredService(new VirtualService(A, VirtualServiceSpec.Default), [Dest("10.1.0.9"), Dest("10.1.0.1")])),
             ("b", new DesiredService(new VirtualService(B, VirtualServiceSpec.Default), []) { KeepWhenEmpty = true })],
            "serve");

        Assert.Equal([B, A], state.Services.Select(s => s.Key));
        Assert.Equal(["10.1.0.1:80", "10.1.0.9:80"], state.Find(A)!.Destinations.Select(d => d.Key.ToString()));
        Assert.True(state.Find(B)!.KeepWhenEmpty);
        Assert.Equal(new ServiceInfo("a", "serve", "serve"), state.ServiceInfo[A]);
        Assert.Empty(state.Owners);
    }

    [Fact]
    public void AKeyListedTwiceIsRefused()
    {
        var service = new DesiredService(new VirtualService(A, VirtualServiceSpec.Default), []);
        Assert.Throws<ArgumentException>(() => DesiredState.FromServices([("a", service), ("b", service)], "serve"));
    }

    [Fact]
    public async Task AServiceKeptWhenEmptyIsCreatedWithoutDestinationsAndAContainerStyleOneIsNot()
    {
        using var h = new ReconcileHarness();
        var ct = TestContext.Current.CancellationToken;
        var state = DesiredState.FromServices(
            [("kept", new DesiredService(new VirtualService(A, VirtualServiceSpec.Default), []) { KeepWhenEmpty = true }),
             ("not", new DesiredService(new VirtualService(B, VirtualServiceSpec.Default), []))],
            "serve");

        await h.Reconciler.ReconcileAsync(state, ct);

        Assert.True(h.Kernel.Has(A));
        Assert.False(h.Kernel.Has(B));
        h.Kernel.ResetCounts();
        await h.Reconciler.ReconcileAsync(state, ct);
        Assert.Equal(0, h.Kernel.Writes); // kept, not deleted and re-created

        await h.Kernel.FlushAsync(ct);
        await h.Reconciler.ReconcileAsync(state, ct);
        Assert.True(h.Kernel.Has(A)); // level-triggered: a flushed service comes back

        await h.Reconciler.ReconcileAsync(DesiredState.Empty, ct);
        Assert.False(h.Kernel.Has(A)); // owned, no longer wanted: gone
    }
}
