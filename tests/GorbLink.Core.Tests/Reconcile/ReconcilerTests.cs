using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Core.Status;
using GorbLink.Ipvs;
using GorbLink.Netlink;
using static GorbLink.Core.Tests.Reconcile.ReconcileHarness;

namespace GorbLink.Core.Tests.Reconcile;

public sealed class ReconcilerTests
{
    private static readonly VirtualServiceKey Https = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 443);
    private static readonly VirtualServiceKey Dns = VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.1"), 53);

    private static Destination Backend(string address, ushort port, int weight = 1) =>
        new(new DestinationKey(IPAddress.Parse(address), port), DestinationSpec.Default with { Weight = weight });

    private static GorbLink.Core.Desired.DesiredService Foreign(VirtualServiceKey key, string scheduler, params Destination[] destinations) =>
        new(new VirtualService(key, VirtualServiceSpec.Default with { Scheduler = scheduler }), destinations);

    private static VirtualServiceKey ServiceOf(IpvsOperation operation) => operation switch
    {
        IpvsOperation.CreateService o => o.Service.Key,
        IpvsOperation.UpdateService o => o.Service.Key,
        IpvsOperation.DeleteService o => o.Service,
        IpvsOperation.CreateDestination o => o.Service,
        IpvsOperation.UpdateDestination o => o.Service,
        IpvsOperation.DeleteDestination o => o.Service,
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    [Fact]
    public async Task FirstPassCreatesEverythingInOneBatchAndTheNextChangesNothing()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("web-2", 32002), Container("web-3", 32003));

        var first = await h.PassAsync();

        Assert.Equal(1, h.Kernel.ExecuteCalls);
        Assert.Equal(4, h.Kernel.Writes);
        Assert.Equal((1, 3), (first.Plan.Count(IpvsOperationKind.CreateService), first.Plan.Count(IpvsOperationKind.CreateDestination)));
        Assert.Equal(4, first.Applied);
        Assert.Equal(3, h.Kernel.DestinationCount);
        var owned = h.OwnedOnDisk();
        Assert.True(owned.Owns(Web));
        Assert.Equal([Dest(32001), Dest(32002), Dest(32003)], owned.DestinationsOf(Web));

        var second = await h.PassAsync();
        Assert.True(second.Plan.IsEmpty);
        Assert.Equal(1, h.Kernel.ExecuteCalls); // nothing to write: no batch at all
    }

    [Fact]
    public async Task OneChangeIsOneWrite()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("web-2", 32002));
        await h.PassAsync();
        h.Kernel.ResetCounts();

        h.Set(Container("web-3", 32003), Container("web-2", 32002, weight: 7));
        var result = await h.PassAsync();

        var batch = Assert.Single(h.Kernel.Batches);
        Assert.Equal(2, batch.Count);
        Assert.Contains(batch, o => o is IpvsOperation.CreateDestination c && c.Destination.Key == Dest(32003));
        Assert.Contains(batch, o => o is IpvsOperation.UpdateDestination u && u.Destination.Key == Dest(32002) && u.Destination.Spec.Weight == 7);
        Assert.Equal(2, result.Applied);
    }

    [Fact]
    public async Task AForeignServiceWithTheSameKeyIsRefusedAndNeverTouched()
    {
        using var h = new ReconcileHarness();
        var foreignWeb = Foreign(Web, "rr", Backend("10.9.0.1", 80, 5), Backend("10.9.0.2", 80, 5));
        var foreignHttps = Foreign(Https, "lc", Backend("10.9.0.1", 443));
        h.Kernel.AddForeign(foreignWeb);
        h.Kernel.AddForeign(foreignHttps);
        var before = h.Kernel.Dump();

        // web wants tcp 10.0.0.1:80, which keepalived (say) already has; api on :8080 of the same VIP is free.
        h.Set(Container("web-1", 32001), Container("api-1", 32101, service: "api", port: 8080));
        var first = await h.PassAsync();
        var second = await h.PassAsync();

        var refusal = Assert.Single(first.Refusals);
        Assert.Equal(Web, refusal.Service);
        Assert.Null(refusal.Destination);
        Assert.Contains("tcp 10.0.0.1:80", refusal.Message);
        Assert.Contains("ipvsadm -D -t 10.0.0.1:80", refusal.Message);
        Assert.Single(second.Refusals);
        // One error line, not one per pass.
        var logged = Assert.Single(h.Log.WithEvent(3004));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, logged.Level);

        Assert.DoesNotContain(h.Kernel.Batches.SelectMany(b => b), o => ServiceOf(o) == Web || ServiceOf(o) == Https);
        var api = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 8080);
        Assert.True(h.Kernel.Has(api, Dest(32101)));
        Assert.False(h.OwnedOnDisk().Owns(Web));

        // Containers gone: still nothing of theirs changes (no prune of foreign services).
        h.Remove("web-1").Remove("api-1");
        await h.PassAsync();
        Assert.False(h.Kernel.Has(api));

        // Cleanup deletes only what the agent made.
        h.Set(Container("api-1", 32101, service: "api", port: 8080));
        await h.PassAsync();
        await h.Reconciler.CleanupAsync(TestContext.Current.CancellationToken);
        Assert.False(h.Kernel.Has(api));
        Assert.Equal(before, h.Kernel.Dump());
        Assert.True(h.OwnedOnDisk().IsEmpty);
    }

    [Fact]
    public async Task AForeignDestinationInsideAnOwnedServiceIsLeftAlone()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("web-2", 32002));
        await h.PassAsync();
        var manual = Backend("10.9.0.7", 8080, 3);
        h.Kernel.AddForeign(new(new VirtualService(Web, VirtualServiceSpec.Default), [manual]));

        // A change in the service, then every container gone: the manual destination stays, with its weight,
        // and keeps the service alive.
        h.Set(Container("web-2", 32002, weight: 50));
        await h.PassAsync();
        Assert.Equal(3, h.Kernel.Find(Web, manual.Key)!.Spec.Weight);
        h.Remove("web-1").Remove("web-2");
        await h.PassAsync();

        Assert.True(h.Kernel.Has(Web));
        Assert.Equal(manual, h.Kernel.Find(Web, manual.Key));
        Assert.False(h.Kernel.Has(Web, Dest(32001)));
        Assert.False(h.Kernel.Has(Web, Dest(32002)));
        Assert.DoesNotContain(h.Kernel.Batches.SelectMany(b => b), o => o.Target.Contains("10.9.0.7"));
        Assert.Single(h.Log.WithEvent(3010));
        await h.PassAsync();
        Assert.Single(h.Log.WithEvent(3010)); // said once

        // Cleanup: the manual destination still holds the service; only the agent's part goes.
        await h.Reconciler.CleanupAsync(TestContext.Current.CancellationToken);
        Assert.Equal(manual, h.Kernel.Find(Web, manual.Key));
    }

    [Fact]
    public async Task AContainerAskingForADestinationSomeoneElseAddedDoesNotTakeItOver()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001));
        await h.PassAsync();
        h.Kernel.AddForeign(new(new VirtualService(Web, VirtualServiceSpec.Default), [new Destination(Dest(32002), DestinationSpec.Default with { Weight = 9 })]));

        h.Set(Container("web-2", 32002));
        var result = await h.PassAsync();

        var refusal = Assert.Single(result.Refusals);
        Assert.Equal(Dest(32002), refusal.Destination);
        Assert.Equal(9, h.Kernel.Find(Web, Dest(32002))!.Spec.Weight);
        Assert.False(h.OwnedOnDisk().Owns(Web, Dest(32002)));
        Assert.True(result.Plan.IsEmpty);
    }

    [Fact]
    public async Task ARestartedAgentAdoptsWhatItMadeWithoutWriting()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("web-2", 32002), Container("dns-1", 32053, service: "dns", port: 53, protocol: "udp"));
        await h.PassAsync();
        var before = h.Kernel.Dump();
        h.Kernel.ResetCounts();

        h.Restart();
        var result = await h.PassAsync();

        Assert.True(result.Plan.IsEmpty);
        Assert.Equal(0, h.Kernel.ExecuteCalls);
        Assert.Empty(result.Refusals);
        Assert.Equal(before, h.Kernel.Dump());
        Assert.Single(h.Log.WithEvent(3013));
    }

    [Fact]
    public async Task ARestartedAgentRemovesWhatBelongedToContainersThatWentAwayWhileItWasDown()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("web-2", 32002), Container("api-1", 32101, service: "api", port: 8080));
        await h.PassAsync();
        h.Kernel.SetConnections(Web, Dest(32002), 2, 0);

        h.Restart();
        h.Remove("web-2").Remove("api-1");
        var result = await h.PassAsync();

        var api = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 8080);
        Assert.False(h.Kernel.Has(api)); // no connections: deleted at once
        Assert.Equal(0, h.Kernel.Find(Web, Dest(32002))!.Spec.Weight); // connections: drained first
        Assert.Equal(1, result.PendingDrains);
        Assert.True(h.Kernel.Has(Web, Dest(32001)));
        Assert.DoesNotContain(result.Plan.Operations, o => o.Target.Contains("32001"));

        h.Kernel.SetConnections(Web, Dest(32002), 0, 0);
        await h.PassAsync();
        Assert.False(h.Kernel.Has(Web, Dest(32002)));
        Assert.False(h.OwnedOnDisk().Owns(api));
        Assert.Equal([Dest(32001)], h.OwnedOnDisk().DestinationsOf(Web));
    }

    [Fact]
    public async Task AnAgentKilledBetweenBatchAndBookkeepingStillOwnsWhatItCreated()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001));
        h.Kernel.FailAfterNextBatch = new IpvsException(IpvsOperationKind.Batch, "a batch", Errno.EINTR, "killed");
        await Assert.ThrowsAsync<IpvsException>(h.PassAsync);
        Assert.True(h.Kernel.Has(Web, Dest(32001)));

        h.Restart();
        var result = await h.PassAsync();
        Assert.Empty(result.Refusals);
        Assert.True(result.Plan.IsEmpty);

        h.Remove("web-1");
        await h.PassAsync();
        Assert.False(h.Kernel.Has(Web));
    }

    [Fact]
    public async Task EntriesOfTheFileThatAreNoLongerInTheKernelAreForgotten()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("api-1", 32101, service: "api", port: 8080));
        await h.PassAsync();
        // Someone deletes the agent's api service and one destination while the agent is down.
        var api = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 8080);
        await h.Kernel.DeleteServiceAsync(api, TestContext.Current.CancellationToken);
        h.Kernel.ResetCounts();

        h.Restart();
        h.Remove("api-1");
        var result = await h.PassAsync();

        Assert.True(result.Plan.IsEmpty);
        Assert.Equal(0, h.Kernel.ExecuteCalls);
        Assert.False(h.OwnedOnDisk().Owns(api));
        Assert.Single(h.Log.WithEvent(3008));
    }

    [Fact]
    public async Task ADamagedOwnershipFileStopsThePassBeforeAnyWrite()
    {
        using var h = new ReconcileHarness();
        await File.WriteAllTextAsync(h.StatePath, "{\"version\": 1, \"agent\": \"gorblink\", \"services\": [", TestContext.Current.CancellationToken);
        h.Set(Container("web-1", 32001));

        var e = await Assert.ThrowsAsync<OwnershipFileException>(h.PassAsync);

        Assert.Equal(h.StatePath, e.FilePath);
        Assert.Contains(h.StatePath, e.Message);
        Assert.Contains("mv ", e.Message);
        Assert.Equal(0, h.Kernel.ExecuteCalls);
        Assert.Equal(0, h.Kernel.ServiceCount);
    }

    [Fact]
    public async Task AStoppingContainerGoesToWeightZeroAndIsDeletedWhenItsConnectionsEnd()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("web-2", 32002));
        await h.PassAsync();
        h.Kernel.SetConnections(Web, Dest(32002), 3, 2);
        h.Kernel.ResetCounts();

        h.Set(Container("web-2", 32002, lifecycle: ContainerLifecycle.Stopping));
        var draining = await h.PassAsync();

        var op = Assert.Single(Assert.Single(h.Kernel.Batches));
        var update = Assert.IsType<IpvsOperation.UpdateDestination>(op);
        Assert.Equal((Dest(32002), 0), (update.Destination.Key, update.Destination.Spec.Weight));
        Assert.Equal(1, draining.PendingDrains);
        Assert.Equal(h.Time.GetUtcNow() + TimeSpan.FromSeconds(1), draining.NextWakeUp);
        Assert.Contains(h.Log.WithEvent(3001), e => e.Message.Contains("weight 100 -> 0") && e.Message.Contains("draining, container web-2"));

        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Kernel.SetConnections(Web, Dest(32002), 0, 1);
        var stillDraining = await h.PassAsync();
        Assert.True(stillDraining.Plan.IsEmpty);
        Assert.True(h.Kernel.Has(Web, Dest(32002)));

        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Kernel.SetConnections(Web, Dest(32002), 0, 0);
        var done = await h.PassAsync();
        Assert.IsType<IpvsOperation.DeleteDestination>(Assert.Single(done.Plan.Operations));
        Assert.False(h.Kernel.Has(Web, Dest(32002)));
        Assert.Equal(0, done.PendingDrains);
        Assert.Null(done.NextWakeUp);
        Assert.False(h.OwnedOnDisk().Owns(Web, Dest(32002)));

        // Still stopping on the next pass: it is not added back at weight 0.
        Assert.True((await h.PassAsync()).Plan.IsEmpty);
    }

    [Fact]
    public async Task ADestinationStillBusyAtTheDeadlineIsDeleted()
    {
        using var h = new ReconcileHarness(new ReconcilerOptions { DrainTimeout = TimeSpan.FromSeconds(30) });
        h.Set(Container("web-1", 32001), Container("web-2", 32002));
        await h.PassAsync();
        h.Kernel.SetConnections(Web, Dest(32002), 5, 0);
        h.Remove("web-2");

        var first = await h.PassAsync();
        Assert.Equal(0, h.Kernel.Find(Web, Dest(32002))!.Spec.Weight);
        var drain = Assert.Single(h.Reconciler.Drains);
        Assert.Equal(DrainReason.NoLongerWanted, drain.Reason);
        Assert.Equal(h.Time.GetUtcNow().AddSeconds(30), drain.Deadline);

        h.Time.Advance(TimeSpan.FromSeconds(29.5));
        var before = await h.PassAsync();
        Assert.Equal(drain.Deadline, before.NextWakeUp); // the deadline comes before the next poll
        Assert.True(h.Kernel.Has(Web, Dest(32002)));

        h.Time.Advance(TimeSpan.FromSeconds(0.5));
        var atDeadline = await h.PassAsync();
        Assert.False(h.Kernel.Has(Web, Dest(32002)));
        Assert.Contains(h.Log.WithEvent(3001), e => e.Message.Contains("drain timeout after 30s with 5 active"));
        Assert.Equal(0, atDeadline.PendingDrains);
    }

    [Fact]
    public async Task UdpIsDeletedAtOnce()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("dns-1", 32053, service: "dns", port: 53, protocol: "udp"), Container("dns-2", 32054, service: "dns", port: 53, protocol: "udp"));
        await h.PassAsync();
        h.Kernel.SetConnections(Dns, Dest(32054), 0, 40);
        h.Kernel.ResetCounts();

        h.Set(Container("dns-2", 32054, service: "dns", port: 53, protocol: "udp", lifecycle: ContainerLifecycle.Stopping));
        var result = await h.PassAsync();

        var op = Assert.IsType<IpvsOperation.DeleteDestination>(Assert.Single(Assert.Single(h.Kernel.Batches)));
        Assert.Equal(Dest(32054), op.Destination);
        Assert.Equal(0, result.PendingDrains);
    }

    [Fact]
    public async Task SctpDrainsLikeTcp()
    {
        using var h = new ReconcileHarness();
        var sctp = VirtualServiceKey.For(IpvsProtocol.Sctp, IPAddress.Parse("10.0.0.1"), 3868);
        h.Set(Container("dia-1", 33868, service: "dia", port: 3868, protocol: "sctp"));
        await h.PassAsync();
        h.Kernel.SetConnections(sctp, Dest(33868), 1, 0);

        h.Set(Container("dia-1", 33868, service: "dia", port: 3868, protocol: "sctp", lifecycle: ContainerLifecycle.Stopping));
        var result = await h.PassAsync();

        Assert.Equal(0, h.Kernel.Find(sctp, Dest(33868))!.Spec.Weight);
        Assert.Equal(1, result.PendingDrains);
    }

    [Fact]
    public async Task AContainerBackInTimeIsRestoredNotReAdded()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("web-2", 32002));
        await h.PassAsync();
        h.Kernel.SetConnections(Web, Dest(32002), 4, 0);
        h.Kernel.ResetCounts();

        h.Set(Container("web-2", 32002, health: ContainerHealth.Unhealthy));
        await h.PassAsync();
        h.Time.Advance(TimeSpan.FromSeconds(10));
        await h.PassAsync();
        h.Set(Container("web-2", 32002, health: ContainerHealth.Healthy));
        var restored = await h.PassAsync();

        var update = Assert.IsType<IpvsOperation.UpdateDestination>(Assert.Single(restored.Plan.Operations));
        Assert.Equal(100, update.Destination.Spec.Weight);
        var all = h.Kernel.Batches.SelectMany(b => b).ToList();
        Assert.DoesNotContain(all, o => o.Kind is IpvsOperationKind.DeleteDestination or IpvsOperationKind.CreateDestination);
        Assert.Equal(2, all.Count); // weight 0, weight 100
        Assert.Contains("192.0.2.10:32002 w=100 Nat a=4", h.Kernel.Dump()); // the same destination, its connections intact
        Assert.Equal(0, restored.PendingDrains);
        Assert.Contains(h.Log.WithEvent(3001), e => e.Message.Contains("restored"));

        // The drain was ended: a later stop starts a new one with a fresh deadline.
        h.Time.Advance(TimeSpan.FromSeconds(25));
        h.Set(Container("web-2", 32002, lifecycle: ContainerLifecycle.Stopping));
        await h.PassAsync();
        h.Time.Advance(TimeSpan.FromSeconds(10));
        await h.PassAsync();
        Assert.True(h.Kernel.Has(Web, Dest(32002)));
    }

    [Fact]
    public async Task AContainerStillUnhealthyAfterTheTimeoutIsDeletedAndAddedAgainWhenHealthy()
    {
        using var h = new ReconcileHarness(new ReconcilerOptions { DrainTimeout = TimeSpan.FromSeconds(5) });
        h.Set(Container("web-1", 32001), Container("web-2", 32002));
        await h.PassAsync();
        h.Kernel.SetConnections(Web, Dest(32002), 1, 0);

        h.Set(Container("web-2", 32002, health: ContainerHealth.Unhealthy));
        await h.PassAsync();
        h.Time.Advance(TimeSpan.FromSeconds(5));
        await h.PassAsync();
        Assert.False(h.Kernel.Has(Web, Dest(32002)));
        h.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.True((await h.PassAsync()).Plan.IsEmpty);

        h.Set(Container("web-2", 32002, health: ContainerHealth.Healthy));
        var back = await h.PassAsync();
        var create = Assert.IsType<IpvsOperation.CreateDestination>(Assert.Single(back.Plan.Operations));
        Assert.Equal(100, create.Destination.Spec.Weight);
        Assert.True(h.OwnedOnDisk().Owns(Web, Dest(32002)));
    }

    [Fact]
    public async Task AServiceWithNoDestinationsLeftIsKeptWhileTheyDrainThenDeleted()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001));
        await h.PassAsync();
        h.Kernel.SetConnections(Web, Dest(32001), 1, 1);

        h.Remove("web-1");
        var draining = await h.PassAsync();
        Assert.True(h.Kernel.Has(Web));
        Assert.Equal(0, h.Kernel.Find(Web, Dest(32001))!.Spec.Weight);
        Assert.Equal(1, draining.PendingDrains);
        Assert.Equal("removing", Assert.Single(StatusFile.Read(h.StatusPath).Services).State);

        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Kernel.SetConnections(Web, Dest(32001), 0, 0);
        var done = await h.PassAsync();
        var delete = Assert.IsType<IpvsOperation.DeleteService>(Assert.Single(done.Plan.Operations));
        Assert.Equal(Web, delete.Service);
        Assert.False(h.Kernel.Has(Web));
        Assert.True(h.OwnedOnDisk().IsEmpty);
    }

    [Fact]
    public async Task DryRunLogsEveryChangeAndWritesNothing()
    {
        using var h = new ReconcileHarness(new ReconcilerOptions { DryRun = true });
        h.Kernel.AddForeign(Foreign(Https, "lc", Backend("10.9.0.1", 443)));
        var before = h.Kernel.Dump();
        h.Set(Container("web-1", 32001), Container("web-2", 32002));

        var result = await h.PassAsync();

        Assert.True(result.DryRun);
        Assert.Equal(3, result.Plan.Operations.Count);
        Assert.Equal(0, h.Kernel.ExecuteCalls);
        Assert.Equal(before, h.Kernel.Dump());
        Assert.Empty(Directory.GetFiles(h.Directory));
        var lines = h.Log.WithEvent(3002);
        Assert.Equal(3, lines.Count);
        Assert.Contains(lines, l => l.Message.Contains("+ service tcp 10.0.0.1:80"));
        Assert.Contains(lines, l => l.Message.Contains("+ destination 192.0.2.10:32002 of service tcp 10.0.0.1:80") && l.Message.Contains("web-2"));
        Assert.NotNull(h.Reconciler.Status);
    }

    /// <summary>
    /// Refusals are matched to the plan by their index in the batch, not by what they say: two refusals that read the
    /// same, and name neither the operation's kind nor its target, still leave exactly the accepted writes owned.
    /// </summary>
    [Fact]
    public async Task RefusalsThatReadTheSameAreMatchedToTheirOperationsByIndex()
    {
        using var h = new ReconcileHarness();
        h.Kernel.Refuse = o => o is IpvsOperation.CreateDestination c && c.Destination.Key != Dest(32002) ? 22 : 0;
        h.Kernel.RefusalError = (_, errno) => new IpvsException(IpvsOperationKind.Batch, "something", new Errno(errno), "invalid destination");
        h.Set(Container("web-1", 32001), Container("web-2", 32002), Container("web-3", 32003));

        var first = await h.PassAsync();

        Assert.Equal(2, first.Failures.Count);
        Assert.Equal(2, first.Applied); // the service and web-2
        Assert.Equal([Dest(32002)], h.OwnedOnDisk().DestinationsOf(Web));
        var status = StatusFile.Read(h.StatusPath);
        var service = Assert.Single(status.Services);
        Assert.Equal([32002], service.Destinations.Select(d => d.Port));
        Assert.Equal(["invalid destination", "invalid destination"], status.Failures);
        Assert.Equal(2, h.Log.WithEvent(3003).Count); // one line per refused write

        h.Kernel.Refuse = null;
        var retry = await h.PassAsync();
        Assert.Equal(2, retry.Plan.Count(IpvsOperationKind.CreateDestination));
        Assert.Equal([Dest(32001), Dest(32002), Dest(32003)], h.OwnedOnDisk().DestinationsOf(Web));
    }

    [Fact]
    public async Task KernelRefusalsLeaveTheRestAppliedOwnershipExactAndAreRetried()
    {
        using var h = new ReconcileHarness();
        h.Kernel.Refuse = o => o is IpvsOperation.CreateDestination c && c.Destination.Key == Dest(32002) ? 22
            : o is IpvsOperation.CreateService s && s.Service.Key.Port == 8080 ? 2
            : 0;
        h.Set(Container("web-1", 32001), Container("web-2", 32002), Container("web-3", 32003), Container("api-1", 32101, service: "api", port: 8080));

        var first = await h.PassAsync();

        Assert.Equal(1, h.Kernel.ExecuteCalls);
        // The refused service's destination fails too (no such service).
        Assert.Equal(3, first.Failures.Count);
        Assert.Equal(first.Plan.Operations.Count - 3, first.Applied);
        Assert.Equal(h.Time.GetUtcNow() + TimeSpan.FromSeconds(5), first.NextWakeUp);
        var owned = h.OwnedOnDisk();
        Assert.Equal([Dest(32001), Dest(32003)], owned.DestinationsOf(Web));
        Assert.False(owned.Owns(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 8080)));
        Assert.Equal(3, h.Log.WithEvent(3003).Count);
        Assert.All(h.Log.WithEvent(3003), e => Assert.Contains("errno", e.Message));

        // Still refused: retried, but not logged as a new error again.
        var again = await h.PassAsync();
        Assert.Equal(3, again.Failures.Count);
        Assert.Equal(3, h.Log.WithEvent(3003).Count);

        h.Kernel.Refuse = null;
        var retry = await h.PassAsync();
        Assert.Equal(3, retry.Plan.Operations.Count);
        Assert.True(retry.Succeeded);
        Assert.Null(retry.NextWakeUp);
        Assert.Equal(3, h.OwnedOnDisk().DestinationsOf(Web).Count);
        Assert.Equal((2, 4), (h.Kernel.ServiceCount, h.Kernel.DestinationCount));
        Assert.Equal([Dest(32101)], h.OwnedOnDisk().DestinationsOf(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 8080)));
    }

    [Fact]
    public async Task ANetlinkFailureThrowsOutOfThePassAndTheNextPassRecovers()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001));
        h.Kernel.FailDumps = 1;

        await Assert.ThrowsAsync<IpvsException>(h.PassAsync);
        Assert.Equal(0, h.Kernel.ExecuteCalls);
        Assert.NotNull(StatusFile.Read(h.StatusPath).LastError);

        await h.PassAsync();
        Assert.True(h.Kernel.Has(Web, Dest(32001)));
        Assert.Null(StatusFile.Read(h.StatusPath).LastError);
    }

    [Fact]
    public async Task NoPermissionFailsThePass()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001));
        var kernel = new PermissionDeniedKernel(h.Kernel);
        var reconciler = new Reconciler(kernel, h.Ownership, h.Options, null, h.Time);

        await Assert.ThrowsAsync<IpvsPermissionException>(() => reconciler.ReconcileAsync(h.Desired(), TestContext.Current.CancellationToken));
        Assert.True(h.OwnedOnDisk().IsEmpty);
    }

    [Fact]
    public async Task CleanupDeletesEverythingOwnedInOneBatchAndEmptiesTheFile()
    {
        using var h = new ReconcileHarness();
        h.Kernel.AddForeign(Foreign(Https, "lc", Backend("10.9.0.1", 443)));
        h.Set(Container("web-1", 32001), Container("web-2", 32002), Container("dns-1", 32053, service: "dns", port: 53, protocol: "udp"));
        await h.PassAsync();
        h.Kernel.SetConnections(Web, Dest(32001), 10, 10);
        h.Kernel.ResetCounts();

        var result = await h.Reconciler.CleanupAsync(TestContext.Current.CancellationToken);

        var batch = Assert.Single(h.Kernel.Batches);
        Assert.Equal(2, batch.Count);
        Assert.All(batch, o => Assert.Equal(IpvsOperationKind.DeleteService, o.Kind));
        Assert.Equal(1, h.Kernel.ServiceCount);
        Assert.True(h.Kernel.Has(Https));
        Assert.True(h.OwnedOnDisk().IsEmpty);
        Assert.Contains("\"services\": []", await File.ReadAllTextAsync(h.StatePath, TestContext.Current.CancellationToken));
        Assert.Equal(2, result.Applied);
    }

    [Fact]
    public async Task TheStatusFileShowsContainersWeightsAndDrains()
    {
        using var h = new ReconcileHarness();
        h.Set(Container("web-1", 32001), Container("web-2", 32002));
        await h.PassAsync();
        h.Kernel.SetConnections(Web, Dest(32002), 2, 1);
        h.Set(Container("web-2", 32002, lifecycle: ContainerLifecycle.Paused));
        await h.PassAsync();

        var status = StatusFile.Read(h.StatusPath);

        Assert.Equal("test", status.AgentVersion);
        Assert.Equal("gorb", status.LabelPrefix);
        Assert.Equal(2, status.Passes);
        var service = Assert.Single(status.Services);
        Assert.Equal(("tcp 10.0.0.1:80", "web", "wrr", "active"), (service.Service, service.Name, service.Scheduler, service.State));
        Assert.Equal(2, service.Destinations.Count);
        var active = service.Destinations[0];
        Assert.Equal(("192.0.2.10", 32001, 100, "active"), (active.Address, active.Port, active.Weight, active.State));
        Assert.Equal(("web-1", "running", "none"), (active.Container!.Name, active.Container.Lifecycle, active.Container.Health));
        var paused = service.Destinations[1];
        Assert.Equal((0, "draining", 2u, 1u), (paused.Weight, paused.State, paused.ActiveConnections, paused.InactiveConnections));
        Assert.Equal("paused", paused.Container!.Lifecycle);
        Assert.Equal(h.Time.GetUtcNow(), paused.DrainingSince);
        Assert.Equal(h.Time.GetUtcNow().AddSeconds(30), paused.DrainDeadline);
        Assert.Empty(Directory.GetFiles(h.Directory, "*.tmp"));
    }

    [Fact]
    public async Task LabelErrorsReachTheStatusFile()
    {
        using var h = new ReconcileHarness();
        var bad = Container("bad-1", 32009) with { Labels = Container("bad-1", 32009).Labels.SetItem("gorb.scheduler", "nope") };
        h.Set(Container("web-1", 32001), bad);
        await h.PassAsync();

        var status = StatusFile.Read(h.StatusPath);
        Assert.Contains(status.ContainerErrors, e => e.Contains("bad-1") && e.Contains("gorb.scheduler"));
    }

    /// <summary>A kernel that answers every write with EPERM, as IpvsNetlinkClient does without CAP_NET_ADMIN.</summary>
    private sealed class PermissionDeniedKernel(FakeIpvsClient inner) : IIpvsClient
    {
        public Task<IpvsBatchResult> ExecuteAsync(IReadOnlyList<IpvsOperation> operations, CancellationToken cancellationToken = default) =>
            Task.FromResult(new IpvsBatchResult(operations.Count,
                [.. operations.Select((o, i) => new IpvsOperationFailure(i, o, new IpvsPermissionException(o.Kind, o.Target, $"{o.Target}: permission denied")))]));

        public Task<IReadOnlyList<VirtualServiceTable>> GetTableAsync(CancellationToken cancellationToken = default) => inner.GetTableAsync(cancellationToken);
        public Task<IReadOnlyList<VirtualServiceStatus>> GetServicesAsync(CancellationToken cancellationToken = default) => inner.GetServicesAsync(cancellationToken);
        public Task<VirtualServiceStatus?> GetServiceAsync(VirtualServiceKey key, CancellationToken cancellationToken = default) => inner.GetServiceAsync(key, cancellationToken);
        public Task<IReadOnlyList<DestinationStatus>> GetDestinationsAsync(VirtualServiceKey service, CancellationToken cancellationToken = default) => inner.GetDestinationsAsync(service, cancellationToken);
        public Task CreateServiceAsync(VirtualService service, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task UpdateServiceAsync(VirtualService service, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task DeleteServiceAsync(VirtualServiceKey service, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task CreateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task UpdateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task DeleteDestinationAsync(VirtualServiceKey service, DestinationKey destination, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IpvsInfo> GetInfoAsync(CancellationToken cancellationToken = default) => inner.GetInfoAsync(cancellationToken);
        public Task<IpvsTimeouts> GetTimeoutsAsync(CancellationToken cancellationToken = default) => inner.GetTimeoutsAsync(cancellationToken);
        public Task SetTimeoutsAsync(IpvsTimeouts timeouts, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task ZeroAsync(VirtualServiceKey? service = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task FlushAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<SyncDaemon>> GetSyncDaemonsAsync(CancellationToken cancellationToken = default) => inner.GetSyncDaemonsAsync(cancellationToken);
        public Task StartSyncDaemonAsync(SyncDaemon daemon, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task StopSyncDaemonAsync(SyncDaemonState state, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
