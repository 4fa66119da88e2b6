using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Reconcile;
using static GorbLink.Core.Tests.Reconcile.ReconcileHarness;

namespace GorbLink.Core.Tests.Reconcile;

public sealed class PassObserverTests : IDisposable
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

    private sealed class Recorder(bool fail) : IReconcilePassObserver
    {
        public List<(int Services, int Applied)> Passes { get; } = [];

        public Task OnPassAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken)
        {
            Passes.Add((desired.Services.Count, result.Applied));
            return fail ? throw new InvalidOperationException("observer broke") : Task.CompletedTask;
        }
    }

    [Fact]
    public async Task ObserversSeeEachPassBeforeReadinessAndTheirFailuresDoNotFailThePass()
    {
        var loop = new ReconcileLoop(_store, _h.Builder, _h.Reconciler, new ReconcileLoopOptions { CoalesceDelay = TimeSpan.Zero }, _log, _h.Time);
        var broken = new Recorder(fail: true);
        var recorder = new Recorder(fail: false);
        loop.AddObserver(broken);
        loop.AddObserver(recorder);
        var running = Task.Run(() => loop.RunAsync(_stop.Token), TestContext.Current.CancellationToken);

        _store.ReplaceAll([Container("web-1", 32001)]);
        await loop.FirstPassCompleted.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal([(1, 2)], recorder.Passes); // seen before FirstPassCompleted: one service, 2 writes
        Assert.Equal([(1, 2)], broken.Passes);
        Assert.Contains("Recorder failed: observer broke", Assert.Single(_log.WithEvent(3109)).Message);
        Assert.Equal(0, loop.Counters.FailedPasses);
        Assert.Throws<InvalidOperationException>(() => loop.AddObserver(recorder));
        _stop.Cancel();
        await running;
    }
}
