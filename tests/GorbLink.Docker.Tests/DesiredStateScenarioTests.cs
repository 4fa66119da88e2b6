using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;
using GorbLink.Ipvs;
using static GorbLink.Docker.Tests.Support.ScenarioService;

namespace GorbLink.Docker.Tests;

/// <summary>
/// From the real engine to the desired IPVS state the agent computes: labelled containers go through the watcher
/// into the store and through the label rules into services and destinations (see <see cref="ScenarioService"/>).
/// </summary>
public sealed class DesiredStateScenarioTests(DockerEnvironment env)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartedLabelledContainersBecomeDestinationsOfOneServiceAndAStopDrainsThenRemovesThem()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "desired");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var a = web.Container("desired-a").Build();
        await using var b = web.Container("desired-b").Build();
        await Task.WhenAll(a.StartAsync(Ct), b.StartAsync(Ct));

        var desired = await web.WaitForBackendsAsync(watcher, "two destinations", Backend(Published(a)), Backend(Published(b)));
        Assert.Equal("rr", desired.Find(web.Key)!.Service.Spec.Scheduler);
        Assert.Equal(web.Name, desired.ServiceInfo[web.Key].Name);
        Assert.DoesNotContain(desired.Errors, e => e.Message.Contains(env.Name("desired-")));

        var stop = env.Client.Containers.StopContainerAsync(a.Id, new ContainerStopParameters { WaitBeforeKillSeconds = 5 }, Ct);
        await watcher.WaitUntilAsync(() => Desired(watcher).IsDraining(web.Key, Published(a)), "a draining while it stops");
        await stop;
        await web.WaitForBackendsAsync(watcher, "a gone after it exited", Backend(Published(b)));
    }

    [Fact]
    public async Task UnhealthyContainerDrainsAndHealthyAgainIsABackendAgain()
    {
        env.RequireDocker();
        var web = new ScenarioService(env, "health");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = web.Container("desired-health")
            .WithCreateParameterModifier(p => p.Healthcheck = new HealthcheckConfig
            {
                Test = ["CMD", "test", "-f", "/tmp/ok"],
                Interval = TimeSpan.FromSeconds(1),
                Timeout = TimeSpan.FromSeconds(1),
                Retries = 1,
            })
            .Build();
        await container.StartAsync(Ct);

        await watcher.WaitForAsync(container.Id, r => r?.Health == ContainerHealth.Unhealthy, "unhealthy");
        Assert.DoesNotContain(Desired(watcher).Services, s => s.Destinations.Any(d => d.Key == Published(container) && d.Spec.Weight > 0));
        Assert.Equal(0, (await container.ExecAsync(["touch", "/tmp/ok"], Ct)).ExitCode);
        await web.WaitForBackendsAsync(watcher, "a backend once healthy", Backend(Published(container)));
        Assert.Equal(0, (await container.ExecAsync(["rm", "/tmp/ok"], Ct)).ExitCode);
        await web.WaitForBackendsAsync(watcher, "draining once unhealthy again", Backend(Published(container), 0, draining: true));
    }

    [Fact]
    public async Task ABadLabelFailsOnlyThatContainerWithOneLineNamingLabelAndValue()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var good = new ScenarioService(env, "good").Container("desired-good").Build();
        await using var bad = new ScenarioService(env, "bad").Container("desired-bad").WithLabel("gorb.weight", "heavy").Build();
        await Task.WhenAll(good.StartAsync(Ct), bad.StartAsync(Ct));

        IReadOnlyList<string> Mine() => Desired(watcher).Errors.Select(e => e.Message).Where(m => m.Contains(env.Name("desired-"))).ToList();
        await watcher.WaitUntilAsync(() => Mine().Count == 1 && Desired(watcher).Contains(good.Id), "one label error and the good container in");
        var error = Mine().Single();
        Assert.Contains(env.Name("desired-bad"), error);
        Assert.Contains("gorb.weight", error);
        Assert.Contains("heavy", error);
        Assert.DoesNotContain('\n', error);
        Assert.False(Desired(watcher).Contains(bad.Id));
    }

    [Fact]
    public async Task ContainerBackendUsesTheAddressOnTheNamedNetworkAfterConnect()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        var networkName = env.Name("desired-net");
        await using var network = new NetworkBuilder().WithName(networkName).WithLabel(DockerEnvironment.TestLabel, env.RunId).Build();
        await network.CreateAsync(Ct);
        var web = new ScenarioService(env, "desired-netsvc", virtualPort: 80);
        await using var container = web.Labels(TestContainers.Busybox(env, "desired-netc"))
            .WithExposedPort(8080)
            .WithLabel("gorb.backend", "container")
            .WithLabel("gorb.network", networkName)
            .WithLabel("gorb.ports", "80:8080")
            .Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        // Not on that network yet: a clear error, nothing registered.
        await watcher.WaitUntilAsync(() => Desired(watcher).Errors.Any(e => e.Message.Contains(networkName)), "network error before connect");
        Assert.Empty(web.Backends(watcher));

        await container.ConnectAsync(network, Ct);
        await watcher.WaitUntilAsync(() => web.Backends(watcher).Count == 1, "destination on the network after connect");
        var address = watcher.Get(container.Id)!.Networks.Single(n => n.Name == networkName).IPv4Address!;
        Assert.Equal(new DestinationKey(address, 8080), Desired(watcher).Find(web.Key)!.Destinations.Single().Key);
    }
}
