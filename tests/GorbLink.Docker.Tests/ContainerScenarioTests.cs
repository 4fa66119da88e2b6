using System.Net;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;

namespace GorbLink.Docker.Tests;

/// <summary>
/// Each scenario drives the real engine with Testcontainers and asserts what <see cref="DockerWatcher"/> puts into the
/// <see cref="ContainerStore"/>: lifecycle, health, published ports and networks.
/// </summary>
public sealed class ContainerScenarioTests(DockerEnvironment env)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_is_seen_with_published_ports_networks_and_labels()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = TestContainers.Busybox(env, "start").WithPortBinding(8080, true).Build();
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
    }

    [Fact]
    public async Task Docker_stop_drains_as_Stopping_then_Exited()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        // PID 1 without a TERM handler ignores SIGTERM, so "docker stop -t 3" waits 3 s before SIGKILL: a graceful stop in progress.
        await using var container = TestContainers.Busybox(env, "stop", "sleep", "3600").Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);

        var stop = env.Connection.Client.Containers.StopContainerAsync(container.Id, new ContainerStopParameters { WaitBeforeKillSeconds = 3 }, Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Stopping, TimeSpan.FromSeconds(3));
        await stop;
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Exited);
        Assert.Equal(["Running/None", "Stopping/None", "Exited/None"], watcher.History(container.Id).SkipWhile(s => s != "Running/None"));
    }

    [Fact]
    public async Task Exiting_on_its_own_is_seen_as_Exited()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = TestContainers.Busybox(env, "selfexit", "sh", "-c", "sleep 2").Build();
        await container.StartAsync(Ct);

        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Exited);
        Assert.DoesNotContain("Stopping/None", watcher.History(container.Id));
    }

    [Fact]
    public async Task Kill_is_seen_as_Exited()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = TestContainers.Busybox(env, "kill").Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);

        await env.Connection.Client.Containers.KillContainerAsync(container.Id, new ContainerKillParameters { Signal = "KILL" }, Ct);
        var record = await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Exited);
        Assert.Empty(record!.PublishedPorts);
    }

    [Fact]
    public async Task Pause_and_unpause()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = TestContainers.Busybox(env, "pause").Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);

        await container.PauseAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Paused);
        await container.UnpauseAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
    }

    [Fact]
    public async Task Restart_policy_restart_is_seen_running_again()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = TestContainers.Busybox(env, "restartpolicy", "sh", "-c", "sleep 1; exit 1")
            .WithCreateParameterModifier(p => (p.HostConfig ??= new HostConfig()).RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.OnFailure })
            .Build();
        await container.StartAsync(Ct);

        // Docker restarts it with no "restart" event (die, then start). The store must show it down, then running again.
        await watcher.WaitForAsync(container.Id, _ => RunningAgain(watcher.History(container.Id)), "running after a restart-policy restart");
        var inspect = await env.Connection.Client.Containers.InspectContainerAsync(container.Id, Ct);
        Assert.True(inspect.RestartCount >= 1, $"RestartCount {inspect.RestartCount}");

        static bool RunningAgain(IReadOnlyList<string> history)
        {
            var firstRun = history.ToList().IndexOf("Running/None");
            return firstRun >= 0 && history.Skip(firstRun + 1).SkipWhile(s => s == "Running/None").Any(s => s != "Running/None") &&
                   history[^1] == "Running/None" && history.Count(s => s == "Running/None") >= 2;
        }
    }

    [Fact]
    public async Task Health_flips_with_the_healthcheck()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = TestContainers.Busybox(env, "health")
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

        await watcher.WaitForAsync(container.Id, r => r is { Lifecycle: ContainerLifecycle.Running, Health: ContainerHealth.Unhealthy }, "unhealthy (no /tmp/ok)");
        Assert.Equal(0, (await container.ExecAsync(["touch", "/tmp/ok"], Ct)).ExitCode);
        await watcher.WaitForAsync(container.Id, r => r?.Health == ContainerHealth.Healthy, "healthy after touch /tmp/ok");
        Assert.Equal(0, (await container.ExecAsync(["rm", "/tmp/ok"], Ct)).ExitCode);
        await watcher.WaitForAsync(container.Id, r => r?.Health == ContainerHealth.Unhealthy, "unhealthy after rm /tmp/ok");
        Assert.Equal(ContainerLifecycle.Running, watcher.Get(container.Id)!.Lifecycle);
    }

    [Fact]
    public async Task Network_connect_and_disconnect_update_networks()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        var networkName = env.Name("net");
        await using var network = new NetworkBuilder().WithName(networkName).WithLabel(DockerEnvironment.TestLabel, env.RunId).Build();
        await network.CreateAsync(Ct);
        await using var container = TestContainers.Busybox(env, "netconnect").Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        var eventsBefore = watcher.Watcher.Status.EventsReceived;

        // Only network events fire for these; the container's address set changes without any container event.
        await container.ConnectAsync(network, Ct);
        var connected = await watcher.WaitForAsync(container.Id, r => r?.Networks.Any(n => n.Name == networkName && n.IPv4Address is not null) == true,
            $"network {networkName} with an address");
        Assert.Equal(["bridge", networkName], connected!.Networks.Select(n => n.Name).Order(StringComparer.Ordinal));

        await env.Connection.Client.Networks.DisconnectNetworkAsync(network.Name, new NetworkDisconnectParameters { Container = container.Id }, Ct);
        var disconnected = await watcher.WaitForAsync(container.Id, r => r?.Networks.All(n => n.Name != networkName) == true, $"{networkName} gone");
        Assert.Equal("bridge", Assert.Single(disconnected!.Networks).Name);
        Assert.Equal(ContainerLifecycle.Running, disconnected.Lifecycle);
        Assert.True(watcher.Watcher.Status.EventsReceived > eventsBefore);
    }

    [Fact]
    public async Task Rename_updates_the_name()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = TestContainers.Busybox(env, "rename").Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);

        var newName = env.Name("renamed");
        await env.Connection.Client.Containers.RenameContainerAsync(container.Id, new ContainerRenameParameters { NewName = newName }, Ct);
        var record = await watcher.WaitForAsync(container.Id, r => r?.Name == newName, $"name {newName}");
        Assert.Equal(ContainerLifecycle.Running, record!.Lifecycle);
    }

    [Fact]
    public async Task Destroy_removes_the_container()
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
}
