using Docker.DotNet.Models;
using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;

namespace GorbLink.Docker.Tests;

public sealed class StartupTests(DockerEnvironment env)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ContainersThatExistBeforeTheWatcherStartsAreListed()
    {
        env.RequireDocker();
        await using var running = TestContainers.Busybox(env, "pre-running").WithPortBinding(8080, true).Build();
        await running.StartAsync(Ct);
        await using var exited = TestContainers.Busybox(env, "pre-exited", "sh", "-c", "exit 3").Build();
        await exited.StartAsync(Ct);
        var client = env.Client;
        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = DockerEnvironment.Image,
            Name = env.Name("pre-created"),
            Cmd = ["sleep", "3600"],
            Labels = env.Labels("pre-created"),
        }, Ct);
        try
        {
            await WaitExitedAsync(exited.Id);

            await using var watcher = await WatcherHarness.StartAsync(env);
            // Loaded means the full list is in: no event was needed for any of these.
            Assert.True(watcher.Store.IsLoaded);
            Assert.Equal(1, watcher.Watcher.Status.FullSyncCount);
            var r = watcher.Get(running.Id);
            Assert.Equal(ContainerLifecycle.Running, r?.Lifecycle);
            Assert.Contains(r!.PublishedPorts, p => p.ContainerPort == 8080 && p.HostPort == running.GetMappedPublicPort(8080));
            Assert.Equal(ContainerLifecycle.Exited, watcher.Get(exited.Id)?.Lifecycle);
            Assert.Equal(ContainerLifecycle.Created, watcher.Get(created.ID)?.Lifecycle);
            Assert.True(watcher.Watcher.Status.Connected);
            Assert.Equal(env.Connection.ApiVersion.ToString(2), watcher.Watcher.Status.ApiVersion);
            Assert.Equal(env.Connection.EngineVersion, watcher.Watcher.Status.EngineVersion);

            // And events after the load still apply: start the created one.
            await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), Ct);
            await watcher.WaitForLifecycleAsync(created.ID, ContainerLifecycle.Running);
        }
        finally
        {
            await client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task StartupFailsFastWithATypedErrorWhenTheSocketIsAbsent()
    {
        var endpoint = new Uri("unix:///nonexistent/gorblink-test.sock");
        var watcher = new DockerWatcher(new DockerWatcherOptions { Endpoint = endpoint }, new ContainerStore(),
            new DockerConnector(new TestOutputLogger<DockerConnector>(TestContext.Current.TestOutputHelper)),
            new TestOutputLogger<DockerWatcher>(TestContext.Current.TestOutputHelper), TimeProvider.System);
        var ex = await Assert.ThrowsAsync<DockerUnavailableException>(() => watcher.RunAsync(Ct));
        Assert.Contains("unix:///nonexistent/gorblink-test.sock", ex.Message, StringComparison.Ordinal);
        Assert.Equal(endpoint, ex.Endpoint);
        Assert.False(watcher.Status.Connected);
        Assert.NotNull(watcher.Status.LastError);
        TestContext.Current.TestOutputHelper?.WriteLine(ex.ToString());
    }

    [Fact]
    public async Task WithoutRequireEngineAtStartupItKeepsRetryingWithBackoff()
    {
        var endpoint = new Uri("unix:///nonexistent/gorblink-test.sock");
        var time = new TimerCountingTimeProvider(DateTimeOffset.UtcNow);
        var watcher = new DockerWatcher(
            new DockerWatcherOptions
            {
                Endpoint = endpoint,
                RequireEngineAtStartup = false,
                InitialReconnectDelay = TimeSpan.FromSeconds(1),
                MaxReconnectDelay = TimeSpan.FromSeconds(30),
            },
            new ContainerStore(),
            new DockerConnector(new TestOutputLogger<DockerConnector>(TestContext.Current.TestOutputHelper)),
            new TestOutputLogger<DockerWatcher>(TestContext.Current.TestOutputHelper, time), time) { Jitter = () => 1.0 };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = watcher.RunAsync(cts.Token);

        for (var attempt = 1; attempt <= 8; attempt++)
        {
            // Wait for the failure and for the watcher's backoff timer: advancing the clock before the timer exists
            // would move "now" under it, and it would never fire.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((watcher.Status.ConsecutiveFailures < attempt || time.TimersCreated < attempt) && DateTime.UtcNow < deadline) await Task.Delay(10, Ct);
            Assert.Equal(attempt, watcher.Status.ConsecutiveFailures);
            Assert.Equal(attempt, time.TimersCreated);
            Assert.False(run.IsCompleted);
            // With jitter pinned to 1 the delay is exactly min(30 s, 1 s · 2^(attempt-1)): one tick less must not retry.
            var expected = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt - 1)));
            time.Advance(expected - TimeSpan.FromMilliseconds(1));
            await Task.Delay(50, Ct);
            Assert.Equal(attempt, watcher.Status.ConsecutiveFailures);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        await cts.CancelAsync();
        await run; // returns normally on cancellation
        Assert.Contains("nonexistent", watcher.Status.LastError, StringComparison.Ordinal);
    }

    /// <summary>A fake clock that counts the timers made on it (Task.Delay with a TimeProvider makes one).</summary>
    private sealed class TimerCountingTimeProvider(DateTimeOffset start) : Microsoft.Extensions.Time.Testing.FakeTimeProvider(start)
    {
        private int _timersCreated;

        public int TimersCreated => Volatile.Read(ref _timersCreated);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timersCreated);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    private async Task WaitExitedAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var inspect = await env.Client.Containers.InspectContainerAsync(id, Ct);
            if (inspect.State?.Status == "exited") return;
            await Task.Delay(100, Ct);
        }

        Assert.Fail("the container did not exit");
    }
}
