using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace GorbLink.Docker.Tests;

[Collection(QuietEngineCollection.Name)]
public sealed class PeriodicResyncTests(DockerEnvironment env)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PeriodicResyncRelistsAndAnUnchangedEngineChangesNothing()
    {
        env.RequireDocker();
        await using var container = TestContainers.Busybox(env, "resync").WithPortBinding(8080, true).Build();
        await container.StartAsync(Ct);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var watcher = await WatcherHarness.StartAsync(env, time, o => new DockerWatcherOptions
        {
            Endpoint = o.Endpoint,
            ResyncInterval = TimeSpan.FromSeconds(60),
        });
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        Assert.Equal(1, watcher.Watcher.Status.FullSyncCount);
        var revision = watcher.Store.Revision;

        for (var i = 2; i <= 4; i++)
        {
            time.Advance(TimeSpan.FromSeconds(60));
            await watcher.WaitUntilAsync(() => watcher.Watcher.Status.FullSyncCount >= i, $"resync #{i}");
        }

        // Re-inspecting unchanged containers yields equal records, so the store (and the reconcile loop) stays quiet.
        Assert.Equal(revision, watcher.Store.Revision);
        Assert.Equal(ContainerLifecycle.Running, watcher.Get(container.Id)?.Lifecycle);
    }
}
