using GorbLink.Core.Containers;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Ipvs;
using static GorbLink.Core.Tests.Reconcile.ReconcileHarness;

namespace GorbLink.Core.Tests.Reconcile;

public sealed class ReconcileLoopTests : IDisposable
{
    private readonly ReconcileHarness _h = new();
    private readonly ContainerStore _store = new();
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly RecordingLogger<ReconcileLoop> _log = new();

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _h.Dispose();
    }

    private ReconcileLoop Start(ReconcileLoopOptions? options, out Task running)
    {
        var loop = new ReconcileLoop(_store, _h.Builder, _h.Reconciler, options ?? new ReconcileLoopOptions { CoalesceDelay = TimeSpan.Zero }, _log, _h.Time);
        running = Task.Run(() => loop.RunAsync(_stop.Token));
        return loop;
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
    }

    private static Task Idle(ReconcileLoop loop, long passes) =>
        Until(() => loop.Counters.Passes >= passes && loop.State == ReconcileLoopState.Idle, $"pass {passes} and idle (now {loop.Counters.Passes}, {loop.State})");

    [Fact]
    public async Task NothingIsProgrammedBeforeTheInitialList()
    {
        var loop = Start(null, out var running);
        _store.Upsert(Container("web-1", 32001));
        await Until(() => loop.State == ReconcileLoopState.WaitingForContainers, "waiting");
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(0, _h.Kernel.DumpCalls);
        Assert.False(loop.FirstPassCompleted.IsCompleted);

        _store.ReplaceAll([Container("web-1", 32001), Container("web-2", 32002)]);
        var first = await loop.FirstPassCompleted.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(3, first.Applied);
        Assert.Equal(1, _h.Kernel.ExecuteCalls);
        _stop.Cancel();
        await running; // returns normally on cancellation
        Assert.Equal(ReconcileLoopState.Stopped, loop.State);
    }

    [Fact]
    public async Task ABurstOfAThousandStartsIsOneBatchedReconcile()
    {
        var loop = Start(new ReconcileLoopOptions { CoalesceDelay = TimeSpan.FromMilliseconds(100) }, out _);
        _store.ReplaceAll([]);
        await Idle(loop, 1);
        Assert.Equal(0, _h.Kernel.ExecuteCalls);

        for (var i = 0; i < 1000; i++) _store.Upsert(Container($"web-{i}", (ushort)(30000 + i)));
        await Until(() => loop.State == ReconcileLoopState.Coalescing, "coalescing");
        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        await Idle(loop, 2);

        Assert.Equal(2, loop.Counters.Passes);
        var batch = Assert.Single(_h.Kernel.Batches);
        Assert.Equal(1001, batch.Count);
        Assert.Equal(1000, _h.Kernel.DestinationCount);
        Assert.Equal(1001, loop.Counters.WritesApplied);
        Assert.Equal(1, loop.Batches);
        Assert.Equal(1000, _h.OwnedOnDisk().DestinationCount);
    }

    [Fact]
    public async Task AFailedPassIsRetriedWithDoublingBackoff()
    {
        _h.Kernel.FailDumps = 3;
        var loop = Start(null, out _);
        _store.ReplaceAll([Container("web-1", 32001)]);

        await Until(() => loop.Counters.FailedPasses == 1 && loop.State == ReconcileLoopState.BackingOff, "first failure");
        Assert.False(loop.FirstPassCompleted.IsCompleted);
        Assert.Contains("no buffer space", loop.Counters.LastError);
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await Until(() => loop.Counters.FailedPasses == 2 && loop.State == ReconcileLoopState.BackingOff, "second failure");
        // A change does not cut the backoff short, and 1 s is no longer enough.
        _store.Upsert(Container("web-2", 32002));
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(2, loop.Counters.FailedPasses);
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await Until(() => loop.Counters.FailedPasses == 3 && loop.State == ReconcileLoopState.BackingOff, "third failure");
        _h.Time.Advance(TimeSpan.FromSeconds(4));

        var first = await loop.FirstPassCompleted.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(3, first.Applied);
        Assert.Equal(0, loop.Counters.ConsecutiveFailures);
        Assert.Equal(3, _log.WithEvent(3103).Count);
        Assert.Single(_log.WithEvent(3104));
    }

    [Fact]
    public async Task FailFastEndsTheLoopWhenTheFirstPassFails()
    {
        _h.Kernel.FailDumps = 1;
        var loop = Start(new ReconcileLoopOptions { CoalesceDelay = TimeSpan.Zero, FailFastOnFirstPass = true }, out var running);
        _store.ReplaceAll([]);

        await Assert.ThrowsAsync<IpvsException>(() => running);
        await Assert.ThrowsAsync<IpvsException>(() => loop.FirstPassCompleted);
    }

    [Fact]
    public async Task ADamagedOwnershipFileEndsTheLoop()
    {
        await File.WriteAllTextAsync(_h.StatePath, "garbage", TestContext.Current.CancellationToken);
        var loop = Start(null, out var running);
        _store.ReplaceAll([Container("web-1", 32001)]);

        var e = await Assert.ThrowsAsync<OwnershipFileException>(() => running);
        Assert.Contains(_h.StatePath, e.Message);
        await Assert.ThrowsAsync<OwnershipFileException>(() => loop.FirstPassCompleted);
        Assert.Equal(0, _h.Kernel.ExecuteCalls);
    }

    [Fact]
    public async Task LabelErrorsAndConflictsAreLoggedOnceEach()
    {
        var loop = Start(null, out _);
        var bad = Container("bad-1", 32009) with { Labels = Container("bad-1", 32009).Labels.SetItem("gorb.weight", "lots") };
        var rival = Container("rival-1", 32010) with
        {
            Created = DateTimeOffset.UnixEpoch.AddDays(1),
            Labels = Container("rival-1", 32010).Labels.SetItem("gorb.scheduler", "rr"),
        };
        _store.ReplaceAll([Container("web-1", 32001) with { Created = DateTimeOffset.UnixEpoch }, bad, rival]);
        await Idle(loop, 1);
        for (var i = 0; i < 3; i++)
        {
            _store.MarkDirty();
            await Idle(loop, 2 + i);
        }

        var error = Assert.Single(_log.WithEvent(3101));
        Assert.Contains("bad-1", error.Message);
        Assert.Contains("gorb.weight", error.Message);
        var conflict = Assert.Single(_log.WithEvent(3102));
        Assert.Contains("rival-1", conflict.Message);

        // Fixed, then broken again: logged again.
        _store.Upsert(Container("bad-1", 32009));
        await Idle(loop, 5);
        Assert.Single(_log.WithEvent(3108), e => e.Message.Contains("bad-1"));
        _store.Upsert(bad);
        await Idle(loop, 6);
        Assert.Equal(2, _log.WithEvent(3101).Count);
    }

    [Fact]
    public async Task DrainsAreCheckedWithoutAnyContainerChange()
    {
        var loop = Start(null, out _);
        _store.ReplaceAll([Container("web-1", 32001), Container("web-2", 32002)]);
        await Idle(loop, 1);
        _h.Kernel.SetConnections(Web, Dest(32002), 1, 0);
        _store.Upsert(Container("web-2", 32002, lifecycle: ContainerLifecycle.Stopping));
        await Idle(loop, 2);
        Assert.Equal(0, _h.Kernel.Find(Web, Dest(32002))!.Spec.Weight);

        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await Idle(loop, 3);
        Assert.True(_h.Kernel.Has(Web, Dest(32002)));
        _h.Kernel.SetConnections(Web, Dest(32002), 0, 0);
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await Idle(loop, 4);
        Assert.False(_h.Kernel.Has(Web, Dest(32002)));
        Assert.Equal(0, loop.PendingDrains);
    }

    [Fact]
    public async Task ThePeriodicResyncRepairsTheTable()
    {
        var loop = Start(new ReconcileLoopOptions { CoalesceDelay = TimeSpan.Zero, ResyncInterval = TimeSpan.FromSeconds(60) }, out _);
        _store.ReplaceAll([Container("web-1", 32001)]);
        await Idle(loop, 1);
        await _h.Kernel.UpdateDestinationAsync(Web, new Destination(Dest(32001), DestinationSpec.Default with { Weight = 1 }), TestContext.Current.CancellationToken);

        _h.Time.Advance(TimeSpan.FromSeconds(59));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(1, loop.Counters.Passes);
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await Idle(loop, 2);
        Assert.Equal(100, _h.Kernel.Find(Web, Dest(32001))!.Spec.Weight);
    }
}
