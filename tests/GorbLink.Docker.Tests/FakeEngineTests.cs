using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;

namespace GorbLink.Docker.Tests;

/// <summary>Watcher behaviour against a scripted engine (see <see cref="FakeDockerEngine"/>).</summary>
public sealed class FakeEngineTests
{
    private const string Id = "85e691f9c24bfe0bd258b33ed9e18b9d6879136e7a1dc3af5c98ec86435643b5";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DockerWatcher Watcher(Uri endpoint, ContainerStore store) =>
        new(new DockerWatcherOptions { Endpoint = endpoint, InitialReconnectDelay = TimeSpan.FromMilliseconds(100) }, store,
            new DockerConnector(new TestOutputLogger<DockerConnector>(TestContext.Current.TestOutputHelper)),
            new TestOutputLogger<DockerWatcher>(TestContext.Current.TestOutputHelper), TimeProvider.System);

    [Fact]
    public async Task A_stream_the_daemon_ends_cleanly_is_a_lost_stream_reconnect_and_relist()
    {
        await using var engine = new FakeDockerEngine();
        var inspect = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testassets", "inspect", "api1.45-running.json"));
        engine.EventsForStream = n => n == 1
            ? [$$$"""{"Type":"container","Action":"start","Actor":{"ID":"{{{Id}}}","Attributes":{"name":"rec-running"}},"scope":"local","time":1,"timeNano":1000000000}"""]
            : [];
        var store = new ContainerStore();
        var watcher = Watcher(engine.Endpoint, store);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = watcher.RunAsync(cts.Token);

        // The first stream carries a start for a container the list did not have yet (created after the list).
        await Eventually(() => store.IsLoaded, "loaded");
        engine.Containers[Id] = inspect;
        await Eventually(() => watcher.Status.ReconnectCount >= 2, "two reconnects after clean stream ends");
        Assert.Equal(ContainerLifecycle.Running, store.Snapshot().Containers[Id].Lifecycle);
        Assert.Equal("Docker closed the event stream", watcher.Status.LastError);
        Assert.True(engine.EventStreams >= 3);
        Assert.True(watcher.Status.FullSyncCount >= 3, "every reconnect relists");
        // Subscribed with the daemon's clock as 'since', filtered by type only (a label filter would drop network events).
        var events = engine.Requests.First(r => r.Contains("/events", StringComparison.Ordinal));
        Assert.StartsWith("/v1.45/events?", events, StringComparison.Ordinal);
        Assert.Contains("since=", events, StringComparison.Ordinal);
        var filters = Uri.UnescapeDataString(events);
        Assert.Contains("\"type\":{\"container\":true,\"network\":true}", filters, StringComparison.Ordinal);
        Assert.DoesNotContain("label", filters, StringComparison.Ordinal);

        await cts.CancelAsync();
        await run;
        Assert.False(watcher.Status.Connected);
    }

    [Fact]
    public async Task A_too_old_engine_is_refused_with_a_typed_error()
    {
        await using var engine = new FakeDockerEngine(apiVersion: "1.40", minApiVersion: "1.12", engineVersion: "19.03.15");
        var watcher = Watcher(engine.Endpoint, new ContainerStore());
        var ex = await Assert.ThrowsAsync<DockerApiTooOldException>(() => watcher.RunAsync(Ct));
        Assert.Contains("19.03.15", ex.Message, StringComparison.Ordinal);
        Assert.Contains("API 1.40", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ex.Message, watcher.Status.LastError);
        Assert.DoesNotContain(engine.Requests, r => r.Contains("/events", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Speaks_our_maximum_to_a_newer_engine()
    {
        await using var engine = new FakeDockerEngine(apiVersion: "1.56", minApiVersion: "1.44", engineVersion: "31.0.0");
        var store = new ContainerStore();
        var watcher = Watcher(engine.Endpoint, store);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = watcher.RunAsync(cts.Token);
        await Eventually(() => store.IsLoaded, "loaded");
        Assert.Equal("1.54", watcher.Status.ApiVersion);
        Assert.Contains(engine.Requests, r => r.StartsWith("/v1.54/containers/json", StringComparison.Ordinal));
        await cts.CancelAsync();
        await run;
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(20, Ct);
        }
    }
}
