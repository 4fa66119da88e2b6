using System.Globalization;
using System.Threading.Channels;
using GorbLink.Docker.Engine;
using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;
using Microsoft.Extensions.Logging;

namespace GorbLink.Docker.Tests;

/// <summary>Watcher behaviour against a scripted engine (see <see cref="FakeDockerEngine"/>).</summary>
public sealed class FakeEngineTests
{
    private const string Id = "85e691f9c24bfe0bd258b33ed9e18b9d6879136e7a1dc3af5c98ec86435643b5";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DockerWatcher Watcher(Uri endpoint, ContainerStore store, int eventQueueCapacity = 10_000, ILogger<DockerWatcher>? logger = null) =>
        new(new DockerWatcherOptions
            {
                Endpoint = endpoint,
                InitialReconnectDelay = TimeSpan.FromMilliseconds(100),
                ResyncInterval = TimeSpan.Zero, // no periodic relist: every relist here has a reason the test controls
                EventQueueCapacity = eventQueueCapacity,
            }, store,
            new DockerConnector(new TestOutputLogger<DockerConnector>(TestContext.Current.TestOutputHelper)),
            logger ?? new TestOutputLogger<DockerWatcher>(TestContext.Current.TestOutputHelper), TimeProvider.System);

    private static string RunningInspect(string id) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testassets", "inspect", "api1.45-running.json")).Replace(Id, id, StringComparison.Ordinal);

    private static string ContainerEvent(string action, string id, int second) =>
        $$$"""{"Type":"container","Action":"{{{action}}}","Actor":{"ID":"{{{id}}}","Attributes":{"name":"c"}},"scope":"local","time":{{{second}}},"timeNano":{{{second}}}000000000}""";

    [Fact]
    public async Task AStreamTheDaemonEndsCleanlyIsALostStreamReconnectAndRelist()
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
        Assert.Contains("filters={\"type\":[\"container\",\"network\"]}", filters, StringComparison.Ordinal);
        Assert.DoesNotContain("label", filters, StringComparison.Ordinal);

        await cts.CancelAsync();
        await run;
        Assert.False(watcher.Status.Connected);
    }

    [Fact]
    public async Task DamagedEntriesInTheEnginesAnswersAreSkippedOneLineEachAndTheRestLoad()
    {
        // Found by random engine answers (issue 15, finding 4): each of these once stopped every full sync.
        const string good = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        const string nullId = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        const string liar = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
        await using var engine = new FakeDockerEngine { KeepStreamsOpen = true };
        engine.Containers[good] = RunningInspect(good);
        engine.Containers[nullId] = """{"Id":null}""";
        engine.Containers[liar] = RunningInspect(good);
        engine.ListJson = $$"""[null,{},{"Id":null},{"Id":"{{good}}"},{"Id":"{{nullId}}"},{"Id":"{{liar}}"},{"Id":"{{good}}"}]""";
        var logger = new CapturingLogger<DockerWatcher>();
        var store = new ContainerStore();
        var watcher = Watcher(engine.Endpoint, store, logger: logger);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = watcher.RunAsync(cts.Token);

        await Eventually(() => store.IsLoaded, "loaded despite damaged entries");
        Assert.Equal([good], store.Snapshot().Containers.Keys);
        var skipped = logger.Messages.Where(m => m.StartsWith("Skipped", StringComparison.Ordinal)).ToList();
        Assert.Contains(skipped, m => m.Contains("entry 0 is null", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("entry 1 has no Id", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("entry 2 has no Id", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("entry 6 repeats container " + good, StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("container bbbbbbbbbbbb", StringComparison.Ordinal) && m.Contains("no Id", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("container cccccccccccc", StringComparison.Ordinal) && m.Contains("another container (" + good + ")", StringComparison.Ordinal));
        Assert.Equal(6, skipped.Count);

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task ATooOldEngineIsRefusedWithATypedError()
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
    public async Task SpeaksOurMaximumToANewerEngine()
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

    [Fact]
    public async Task SubscribesToEventsBeforeItListsContainersWithSinceBeforeTheList()
    {
        await using var engine = new FakeDockerEngine { KeepStreamsOpen = true };
        engine.Containers[Id] = RunningInspect(Id);
        bool? subscribedFirst = null;
        DateTime listAnsweredAt = default;
        engine.BeforeList = async n =>
        {
            if (n != 1) return;
            // Hold the first list until a subscription arrives: a watcher that subscribes first has sent it already (or
            // sends it now, concurrently); one that lists first waits for this answer and sends nothing meanwhile.
            var arrived = engine.FirstEventStreamArrived;
            subscribedFirst = await Task.WhenAny(arrived, Task.Delay(TimeSpan.FromSeconds(5), Ct)) == arrived;
            listAnsweredAt = DateTime.UtcNow;
        };
        var store = new ContainerStore();
        var watcher = Watcher(engine.Endpoint, store);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = watcher.RunAsync(cts.Token);

        await Eventually(() => store.IsLoaded, "loaded");
        Assert.True(subscribedFirst, "the container list was requested before any event subscription");
        var requests = engine.Requests.ToList();
        var info = requests.FindIndex(r => r.Contains("/info", StringComparison.Ordinal));
        var events = requests.FindIndex(r => r.Contains("/events", StringComparison.Ordinal));
        var list = requests.FindIndex(r => r.Contains("/containers/json", StringComparison.Ordinal) && !r.Contains($"/{Id}/", StringComparison.Ordinal));
        Assert.True(info >= 0 && info < events && info < list, $"the daemon's clock is read first: {string.Join(" | ", requests)}");
        // 'since' is the daemon's clock from before the list (minus a margin): the engine replays anything that
        // happened between the list and the subscription being in place.
        var since = Uri.UnescapeDataString(requests[events]).Split('?', '&').Single(q => q.StartsWith("since=", StringComparison.Ordinal))[6..];
        var sinceAt = DateTime.UnixEpoch.AddSeconds(double.Parse(since, CultureInfo.InvariantCulture));
        Assert.True(sinceAt < listAnsweredAt, $"since {sinceAt:O} is not before the list ({listAnsweredAt:O})");
        Assert.Equal(1, engine.ListRequests);
        Assert.Equal(ContainerLifecycle.Running, store.Snapshot().Containers[Id].Lifecycle);

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task AFullEventQueueDropsTheExcessAndRelistsEverything()
    {
        const string Other = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        await using var engine = new FakeDockerEngine { KeepStreamsOpen = true };
        engine.Containers[Id] = RunningInspect(Id);
        engine.Containers[Other] = RunningInspect(Other);
        // One burst, far beyond the queue (16): 500 events about the first container, then the removal of the other.
        engine.EventsForStream = n => n == 1 ? [.. Enumerable.Repeat(ContainerEvent("start", Id, 1), 500), ContainerEvent("destroy", Other, 2)] : [];
        engine.BeforeList = async n =>
        {
            if (n == 1)
            {
                // The burst arrives while the watcher waits for its first list, when nothing reads the queue.
                await engine.FirstEventStreamWritten.WaitAsync(TimeSpan.FromSeconds(10), Ct);
                await Task.Delay(500, Ct);
            }
            else
            {
                // By the relist the other container is gone; only the dropped "destroy" said so.
                engine.Containers.TryRemove(Other, out _);
            }
        };
        var store = new ContainerStore();
        var logger = new RecordingLogger<DockerWatcher>(TestContext.Current.TestOutputHelper);
        var watcher = Watcher(engine.Endpoint, store, eventQueueCapacity: 16, logger);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = watcher.RunAsync(cts.Token);

        await Eventually(() => store.IsLoaded && !store.Snapshot().Containers.ContainsKey(Other), "the other container removed by a relist");
        Assert.Equal(2, watcher.Status.FullSyncCount);
        Assert.Equal(2, engine.ListRequests);
        // The same session: a relist because of the overflow, not a reconnect (the stream stays open; no periodic resync).
        Assert.Equal(0, watcher.Status.ReconnectCount);
        Assert.Equal(1, engine.EventStreams);
        Assert.True(watcher.Status.Connected);
        var overflow = Assert.Single(logger.Entries, e => e.EventId.Id == 2010);
        Assert.Equal(LogLevel.Warning, overflow.Level);
        Assert.Contains("16", overflow.Message, StringComparison.Ordinal);
        Assert.Equal(ContainerLifecycle.Running, store.Snapshot().Containers[Id].Lifecycle);
        await Eventually(() => watcher.Status.EventsReceived == 501, "every event counted, dropped ones included");

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task TheEventQueueNeverBlocksTheStreamAndReportsAnOverflowOnce()
    {
        var channel = Channel.CreateBounded<WatcherWork>(new BoundedChannelOptions(16) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var queue = new EventQueueWriter(channel.Writer);
        var evt = new DockerEvent { Type = "container", Action = "start", Actor = new DockerEventActor { Id = Id } };

        for (var i = 0; i < 16; i++) queue.Report(evt);
        Assert.False(queue.TakeOverflow());
        // Full: Report returns at once (the stream's reading loop must not stall) and remembers the loss.
        var report = Task.Run(() => queue.Report(evt), Ct);
        Assert.Same(report, await Task.WhenAny(report, Task.Delay(TimeSpan.FromSeconds(5), Ct)));
        queue.Report(evt);
        Assert.Equal(18, queue.Received);
        Assert.Equal(16, channel.Reader.Count);
        Assert.True(queue.TakeOverflow());
        Assert.False(queue.TakeOverflow());

        // Room again: no overflow.
        Assert.True(channel.Reader.TryRead(out _));
        queue.Report(evt);
        Assert.False(queue.TakeOverflow());
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
