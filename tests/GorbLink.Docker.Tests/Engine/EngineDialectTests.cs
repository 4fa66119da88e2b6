using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;

namespace GorbLink.Docker.Tests.Engine;

/// <summary>
/// Every engine users run, replayed from recorded-shape answers (testassets/engines): the API version negotiated, and
/// a container that only events announce (the list is empty) loaded and ended by each engine's own words.
/// </summary>
public sealed class EngineDialectTests
{
    private const string Id = "85e691f9c24bfe0bd258b33ed9e18b9d6879136e7a1dc3af5c98ec86435643b5";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Asset(params string[] path) => File.ReadAllText(Path.Combine([AppContext.BaseDirectory, "testassets", .. path]));

    [Theory]
    [InlineData("docker-26.1", "1.45")]
    [InlineData("docker-29.0", "1.52")]
    [InlineData("podman-compat-1.41", "1.41")]
    [InlineData("podman-compat-1.44", "1.44")]
    public async Task NegotiatesAndFollowsAContainerFromStartToDieInTheEnginesOwnWords(string engine, string api)
    {
        await using var fake = new FakeDockerEngine { KeepStreamsOpen = true };
        fake.VersionJson = Asset("engines", engine, "version.json");
        fake.ListJson = "[]";
        // The inspect still says running (the engine has not caught up): only the die event, in whatever words the
        // engine sends it, can end the container's run.
        fake.Containers[Id] = Asset("inspect", "api1.45-running.json");
        var events = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "testassets", "engines", engine, "events.jsonl"))
            .Where(l => l.Length > 0).ToArray();
        fake.EventsForStream = n => n == 1 ? events : [];
        var store = new ContainerStore();
        var watcher = new DockerWatcher(new DockerWatcherOptions
            {
                Endpoint = fake.Endpoint,
                InitialReconnectDelay = TimeSpan.FromMilliseconds(100),
                ResyncInterval = TimeSpan.Zero,
            }, store,
            new DockerConnector(new TestOutputLogger<DockerConnector>(TestContext.Current.TestOutputHelper)),
            new TestOutputLogger<DockerWatcher>(TestContext.Current.TestOutputHelper), TimeProvider.System);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = watcher.RunAsync(cts.Token);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(store.Snapshot().Containers.TryGetValue(Id, out var c) && c.Lifecycle == ContainerLifecycle.Exited))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{engine}: the container never reached Exited; store: " +
                    string.Join(", ", store.Snapshot().Containers.Values.Select(r => $"{r.Name} {r.Lifecycle}")));
            await Task.Delay(20, Ct);
        }
        Assert.Contains(fake.Requests, r => r.StartsWith($"/v{api}/events?", StringComparison.Ordinal));
        Assert.Contains(fake.Requests, r => r.StartsWith($"/v{api}/containers/{Id}/json", StringComparison.Ordinal));
        await cts.CancelAsync();
        await run;
    }

    [Theory]
    [InlineData("podman-compat-1.41", 1, "health_status", "health_status: unhealthy")]
    [InlineData("podman-compat-1.41", 2, "died", "die")]
    [InlineData("podman-compat-1.44", 2, "died", "die")]
    [InlineData("docker-29.0", 1, "health_status: unhealthy", "health_status: unhealthy")]
    [InlineData("docker-29.0", 2, "die", "die")]
    public void EachEnginesActionIsReadInDockersWords(string engine, int line, string sent, string read)
    {
        var json = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "testassets", "engines", engine, "events.jsonl"))[line];
        var evt = System.Text.Json.JsonSerializer.Deserialize(json, GorbLink.Docker.Engine.DockerJsonContext.Default.DockerEvent)!;
        Assert.Equal(sent, evt.Action);
        Assert.Equal(read, GorbLink.Docker.Engine.EventDialects.ToDockerWords(evt).Action);
    }
}
