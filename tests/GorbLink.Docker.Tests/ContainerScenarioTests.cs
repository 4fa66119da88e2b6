using System.Net;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;
using GorbLink.Ipvs;
using static GorbLink.Docker.Tests.Support.ScenarioService;

namespace GorbLink.Docker.Tests;

/// <summary>
/// Each scenario drives the real engine with Testcontainers and asserts what <see cref="DockerWatcher"/> puts into the
/// <see cref="ContainerStore"/> (lifecycle, health, published ports and networks) and, for containers with
/// <c>gorb.*</c> labels, the desired IPVS state the agent computes from that store (<see cref="ScenarioService"/>):
/// which destinations the service has, with which weight, and which of them drain.
/// </summary>
public sealed class ContainerScenarioTests(DockerEnvironment env)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs until <c>/tmp/exit</c> exists, then exits 0 by itself (and exits 0 on SIGTERM, for a quick cleanup).</summary>
    private static readonly string[] ExitsWhenTold = ["sh", "-c", "trap 'exit 0' TERM; while [ ! -f /tmp/exit ]; do sleep 1; done; exit 0"];

    /// <summary>First run: waits for <c>/tmp/fail</c>, then exits 1. Every later run (same container filesystem): serves on.</summary>
    private static readonly string[] FailsOnceWhenTold =
    [
        "sh", "-c",
        "trap 'exit 0' TERM; if [ -f /ran ]; then while true; do sleep 1; done; fi; touch /ran; " +
        "while [ ! -f /tmp/fail ]; do sleep 1; done; exit 1",
    ];

    [Fact]
    public async Task StartIsSeenWithPublishedPortsNetworksAndLabelsAndBecomesADestination()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "start");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = web.Container("start").Build();
        await container.StartAsync(Ct);

        var record = (await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running))!;
        var hostPort = container.GetMappedPublicPort(8080);
        Assert.Equal(env.Name("start"), record.Name);
        Assert.Equal(DockerEnvironment.Image, record.Image);
        Assert.Equal(ContainerHealth.None, record.Health);
        Assert.Equal(env.RunId, record.Labels[DockerEnvironment.TestLabel]);
        Assert.Contains("8080/tcp", record.ExposedPorts);
        Assert.Contains(record.PublishedPorts, p => p is { ContainerPort: 8080, Protocol: "tcp" } && p.HostPort == hostPort &&
                                                    p.HostAddress.Equals(IPAddress.Any));
        Assert.All(record.PublishedPorts, p => Assert.Equal(hostPort, p.HostPort));
        var bridge = Assert.Single(record.Networks);
        Assert.Equal("bridge", bridge.Name);
        Assert.NotNull(bridge.IPv4Address);
        Assert.Equal("bridge", record.NetworkMode);
        Assert.True(record.Created > DateTimeOffset.UtcNow.AddMinutes(-5));

        // Desired: service VIP:8080/tcp (rr) with one destination, the host address and the published port, weight 100.
        var desired = await web.WaitForBackendsAsync(watcher, "a destination once running", Backend(Published(hostPort)));
        Assert.Equal("rr", desired.Find(web.Key)!.Service.Spec.Scheduler);
        Assert.Equal(container.Id, desired.OwnerOf(web.Key, Published(hostPort))!.ContainerId);
    }

    [Fact]
    public async Task DockerStopDrainsAsStoppingThenExited()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "stop");
        await using var watcher = await WatcherHarness.StartAsync(env);
        // PID 1 without a TERM handler ignores SIGTERM, so "docker stop -t 3" waits 3 s before SIGKILL: a graceful stop in progress.
        await using var container = web.Container("stop", "sleep", "3600").Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        var destination = Published(container);
        await web.WaitForBackendsAsync(watcher, "a destination while running", Backend(destination));

        var stop = env.Client.Containers.StopContainerAsync(container.Id, new ContainerStopParameters { WaitBeforeKillSeconds = 3 }, Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Stopping, TimeSpan.FromSeconds(3));
        // Stopping: still desired, at weight 0, so that open connections finish.
        await web.WaitForBackendsAsync(watcher, "draining while it stops", Backend(destination, 0, draining: true));
        await stop;
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Exited);
        await web.WaitForBackendsAsync(watcher, "the service gone once it exited");
        Assert.Equal(["Running/None", "Stopping/None", "Exited/None"], watcher.History(container.Id).SkipWhile(s => s != "Running/None"));
        Assert.Equal(["weight 100", "weight 0 draining", "absent"], web.History(watcher, destination));
    }

    [Fact]
    public async Task ExitingOnItsOwnIsSeenAsExitedAndTheDestinationGoesAtOnce()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "selfexit");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var a = web.Container("selfexit-a", ExitsWhenTold).Build();
        await using var b = web.Container("selfexit-b").Build();
        await Task.WhenAll(a.StartAsync(Ct), b.StartAsync(Ct));
        var (leaving, staying) = (Published(a), Published(b));
        await web.WaitForBackendsAsync(watcher, "two destinations", Backend(leaving), Backend(staying));

        // The process ends by itself (no stop, no kill): nothing to drain, the destination just goes.
        Assert.Equal(0, (await a.ExecAsync(["touch", "/tmp/exit"], Ct)).ExitCode);
        await watcher.WaitForLifecycleAsync(a.Id, ContainerLifecycle.Exited);
        await web.WaitForBackendsAsync(watcher, "only b once a exited", Backend(staying));
        Assert.DoesNotContain("Stopping/None", watcher.History(a.Id));
        Assert.Equal(["weight 100", "absent"], web.History(watcher, leaving));
        Assert.Equal(0, (await env.Client.Containers.InspectContainerAsync(a.Id, Ct)).State!.ExitCode);
    }

    [Fact]
    public async Task KillIsSeenAsExitedAndOnlyThatDestinationGoes()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "kill");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var a = web.Container("kill-a").Build();
        await using var b = web.Container("kill-b").Build();
        await Task.WhenAll(a.StartAsync(Ct), b.StartAsync(Ct));
        var (killed, staying) = (Published(a), Published(b));
        await web.WaitForBackendsAsync(watcher, "two destinations", Backend(killed), Backend(staying));

        await env.Client.Containers.KillContainerAsync(a.Id, new ContainerKillParameters { Signal = "KILL" }, Ct);
        var record = await watcher.WaitForLifecycleAsync(a.Id, ContainerLifecycle.Exited);
        Assert.Empty(record!.PublishedPorts);
        await web.WaitForBackendsAsync(watcher, "only b after a was killed", Backend(staying));
        // The kill may be seen before the die (a moment of draining at weight 0); it never serves again.
        Assert.Contains(web.History(watcher, killed), (IEnumerable<IReadOnlyList<string>>)
            [["weight 100", "absent"], ["weight 100", "weight 0 draining", "absent"]]);
    }

    [Fact]
    public async Task PauseDrainsToWeight0AndUnpauseRestoresTheLabelledWeight()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "pause");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = web.Container("pause").WithLabel("gorb.weight", "7").Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        var destination = Published(container);
        await web.WaitForBackendsAsync(watcher, "a destination at its labelled weight", Backend(destination, 7));

        await container.PauseAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Paused);
        var paused = await web.WaitForBackendsAsync(watcher, "draining while paused", Backend(destination, 0, draining: true));
        Assert.Equal(ContainerLifecycle.Paused, paused.OwnerOf(web.Key, destination)!.Lifecycle);

        await container.UnpauseAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        await web.WaitForBackendsAsync(watcher, "back at weight 7 after unpause", Backend(destination, 7));
    }

    [Fact]
    public async Task RestartPolicyRestartIsSeenRunningAgainAndTheDestinationFollowsItsNewPort()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "restartpolicy");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = web.Container("restartpolicy", FailsOnceWhenTold)
            .WithCreateParameterModifier(p => (p.HostConfig ??= new HostConfig()).RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.OnFailure })
            .Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        var first = Published(container);
        await web.WaitForBackendsAsync(watcher, "a destination on the first run's port", Backend(first));

        // Exit 1: Docker restarts it (die, then start; no "restart" event). The two may reach the watcher together, so
        // the store need not show it down in between; it must end equal to the new run.
        Assert.Equal(0, (await container.ExecAsync(["touch", "/tmp/fail"], Ct)).ExitCode);
        await InspectUntilAsync(container.Id, i => i is { RestartCount: 1, State.Running: true } && i.NetworkSettings?.Ports?.Count > 0,
            "the engine to restart it once");
        var again = ContainerMapper.Map((await env.Connection.Client.InspectContainerAsync(container.Id, Ct))!);
        await watcher.WaitForAsync(container.Id, r => Equals(r, again), "the store to show the new run");
        Assert.Equal(ContainerLifecycle.Running, again.Lifecycle);

        // A new run gets a new random host port (Docker's allocator moves on): the old destination goes, the new one comes.
        var second = Published(again.PublishedPorts.First(p => p.HostAddress.Equals(IPAddress.Any)).HostPort);
        Assert.NotEqual(first, second);
        await web.WaitForBackendsAsync(watcher, "a destination on the new port only", Backend(second));
        Assert.Equal("absent", web.History(watcher, first)[^1]);
    }

    [Fact]
    public async Task HealthFlipsWithTheHealthcheckAndSoDoesTheWeight()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "health");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = web.Container("health")
            .WithCreateParameterModifier(p => p.Healthcheck = new HealthcheckConfig
            {
                Test = ["CMD", "test", "-f", "/tmp/ok"],
                Interval = TimeSpan.FromSeconds(1),
                Timeout = TimeSpan.FromSeconds(1),
                StartPeriod = TimeSpan.Zero,
                Retries = 1,
            })
            .Build();
        await container.StartAsync(Ct);
        var destination = Published(container);

        await watcher.WaitForAsync(container.Id, r => r is { Lifecycle: ContainerLifecycle.Running, Health: ContainerHealth.Unhealthy }, "unhealthy (no /tmp/ok)");
        await web.WaitForBackendsAsync(watcher, "unhealthy: draining", Backend(destination, 0, draining: true));
        Assert.Equal(0, (await container.ExecAsync(["touch", "/tmp/ok"], Ct)).ExitCode);
        await watcher.WaitForAsync(container.Id, r => r?.Health == ContainerHealth.Healthy, "healthy after touch /tmp/ok");
        await web.WaitForBackendsAsync(watcher, "healthy: a backend", Backend(destination));
        Assert.Equal(0, (await container.ExecAsync(["rm", "/tmp/ok"], Ct)).ExitCode);
        await watcher.WaitForAsync(container.Id, r => r?.Health == ContainerHealth.Unhealthy, "unhealthy after rm /tmp/ok");
        await web.WaitForBackendsAsync(watcher, "unhealthy again: draining", Backend(destination, 0, draining: true));
        Assert.Equal(ContainerLifecycle.Running, watcher.Get(container.Id)!.Lifecycle);
        // While the first check was pending (health "starting") it was not a destination at all, let alone at weight 100.
        Assert.Equal(["weight 0 draining", "weight 100", "weight 0 draining"], web.History(watcher, destination));
    }

    [Fact]
    public async Task NetworkConnectAndDisconnectUpdateNetworksAndTheContainerBackend()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        var networkName = env.Name("net");
        await using var network = new NetworkBuilder().WithName(networkName).WithLabel(DockerEnvironment.TestLabel, env.RunId).Build();
        await network.CreateAsync(Ct);
        // Container backend: the destination is the container's address on that network, port 8080, behind VIP:80.
        var web = new ScenarioService(env, "netconnect", virtualPort: 80);
        await using var container = web.Labels(TestContainers.Busybox(env, "netconnect"))
            .WithExposedPort(8080)
            .WithLabel("gorb.backend", "container")
            .WithLabel("gorb.network", networkName)
            .WithLabel("gorb.ports", "80:8080")
            .Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        var eventsBefore = watcher.Watcher.Status.EventsReceived;
        bool NetworkError() => Desired(watcher).Errors.Any(e => e.ContainerId == container.Id && e.Message.Contains(networkName));
        await watcher.WaitUntilAsync(NetworkError, "an error naming the network before connect");
        Assert.Empty(web.Backends(watcher));

        // Only network events fire for these; the container's address set changes without any container event.
        await container.ConnectAsync(network, Ct);
        var connected = await watcher.WaitForAsync(container.Id, r => r?.Networks.Any(n => n.Name == networkName && n.IPv4Address is not null) == true,
            $"network {networkName} with an address");
        Assert.Equal(["bridge", networkName], connected!.Networks.Select(n => n.Name).Order(StringComparer.Ordinal));
        var onNetwork = new DestinationKey(connected.Networks.Single(n => n.Name == networkName).IPv4Address!, 8080);
        await web.WaitForBackendsAsync(watcher, "a destination on the network after connect", Backend(onNetwork));
        Assert.False(NetworkError());

        await env.Client.Networks.DisconnectNetworkAsync(network.Name, new NetworkDisconnectParameters { Container = container.Id }, Ct);
        var disconnected = await watcher.WaitForAsync(container.Id, r => r?.Networks.All(n => n.Name != networkName) == true, $"{networkName} gone");
        Assert.Equal("bridge", Assert.Single(disconnected!.Networks).Name);
        Assert.Equal(ContainerLifecycle.Running, disconnected.Lifecycle);
        Assert.True(watcher.Watcher.Status.EventsReceived > eventsBefore);
        // Off the network: its destination there is gone (the service with it), and the label error is back.
        await web.WaitForBackendsAsync(watcher, "no destination after disconnect");
        Assert.True(NetworkError());
    }

    [Fact]
    public async Task RenameUpdatesTheName()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = TestContainers.Busybox(env, "rename").Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);

        var newName = env.Name("renamed");
        await env.Client.Containers.RenameContainerAsync(container.Id, new ContainerRenameParameters { NewName = newName }, Ct);
        var record = await watcher.WaitForAsync(container.Id, r => r?.Name == newName, $"name {newName}");
        Assert.Equal(ContainerLifecycle.Running, record!.Lifecycle);
    }

    [Fact]
    public async Task DestroyRemovesTheContainer()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        var container = TestContainers.Busybox(env, "destroy").Build();
        await container.StartAsync(Ct);
        var id = container.Id;
        await watcher.WaitForLifecycleAsync(id, ContainerLifecycle.Running);

        await container.DisposeAsync(); // stop + remove
        await watcher.WaitForAsync(id, r => r is null, "removal from the store");
    }

    private async Task<ContainerInspectResponse> InspectUntilAsync(string id, Func<ContainerInspectResponse, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + WatcherHarness.DefaultTimeout;
        while (true)
        {
            var inspect = await env.Client.Containers.InspectContainerAsync(id, Ct);
            if (condition(inspect)) return inspect;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out waiting for {what}: {inspect.State?.Status}, restarts {inspect.RestartCount}");
            await Task.Delay(100, Ct);
        }
    }
}
