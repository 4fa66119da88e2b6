using System.Net;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Docker.Tests.Support;
using GorbLink.Ipvs;

namespace GorbLink.Docker.Tests;

/// <summary>
/// From the real engine to the desired IPVS state the agent computes: labelled containers go through the watcher
/// into the store and through the label rules into services and destinations.
/// </summary>
public sealed class DesiredStateScenarioTests(DockerEnvironment env)
{
    private static readonly IPAddress HostAddress = IPAddress.Parse("10.99.0.1");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DesiredStateBuilder Builder = new(LabelOptions.ForInterface([HostAddress]));

    private static ContainerBuilder Labelled(DockerEnvironment env, string scenario, string service) =>
        TestContainers.Busybox(env, scenario, TestContainers.Server)
            .WithPortBinding(8080, true)
            .WithLabel("gorb.enable", "true")
            .WithLabel("gorb.service", service)
            .WithLabel("gorb.scheduler", "rr");

    private static DesiredState Desired(WatcherHarness watcher) => Builder.Build(watcher.Store.Snapshot());

    private static DestinationKey Published(DotNet.Testcontainers.Containers.IContainer container) =>
        new(HostAddress, container.GetMappedPublicPort(8080));

    [Fact]
    public async Task Started_labelled_containers_become_destinations_of_one_service_and_a_stop_drains_then_removes_them()
    {
        env.RequireDocker();
        var service = env.Name("desired");
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var a = Labelled(env, "desired-a", service).Build();
        await using var b = Labelled(env, "desired-b", service).Build();
        await Task.WhenAll(a.StartAsync(Ct), b.StartAsync(Ct));
        var vip = VirtualServiceKey.For(IpvsProtocol.Tcp, HostAddress, 8080);

        await watcher.WaitUntilAsync(() => Desired(watcher).Find(vip)?.Destinations.Count == 2, "two destinations for VIP:8080");
        var desired = Desired(watcher);
        var found = desired.Find(vip)!;
        Assert.Equal("rr", found.Service.Spec.Scheduler);
        Assert.Equal(new[] { Published(a), Published(b) }.ToHashSet(), found.Destinations.Select(d => d.Key).ToHashSet());
        Assert.All(found.Destinations, d => Assert.Equal(100, d.Spec.Weight));
        Assert.DoesNotContain(desired.Errors, e => e.Message.Contains(env.Name("desired-")));

        var stop = env.Connection.Client.Containers.StopContainerAsync(a.Id, new ContainerStopParameters { WaitBeforeKillSeconds = 5 }, Ct);
        await watcher.WaitUntilAsync(() => Desired(watcher).IsDraining(vip, Published(a)), "a draining while it stops");
        await stop;
        await watcher.WaitUntilAsync(() => Desired(watcher).Find(vip)?.Destinations.Count == 1, "a gone after it exited");
        Assert.Equal(Published(b), Desired(watcher).Find(vip)!.Destinations.Single().Key);
    }

    [Fact]
    public async Task Unhealthy_container_drains_and_healthy_again_is_a_backend_again()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var container = Labelled(env, "desired-health", env.Name("health"))
            .WithCreateParameterModifier(p => p.Healthcheck = new HealthcheckConfig
            {
                Test = ["CMD", "test", "-f", "/tmp/ok"],
                Interval = TimeSpan.FromSeconds(1),
                Timeout = TimeSpan.FromSeconds(1),
                Retries = 1,
            })
            .Build();
        await container.StartAsync(Ct);
        var vip = VirtualServiceKey.For(IpvsProtocol.Tcp, HostAddress, 8080);

        await watcher.WaitForAsync(container.Id, r => r?.Health == ContainerHealth.Unhealthy, "unhealthy");
        Assert.DoesNotContain(Desired(watcher).Services, s => s.Destinations.Any(d => d.Key == Published(container) && d.Spec.Weight > 0));
        Assert.Equal(0, (await container.ExecAsync(["touch", "/tmp/ok"], Ct)).ExitCode);
        await watcher.WaitUntilAsync(() => Desired(watcher).Find(vip)?.Destinations.Any(d => d.Key == Published(container) && !Desired(watcher).IsDraining(vip, d.Key)) == true,
            "a backend once healthy");
        Assert.Equal(0, (await container.ExecAsync(["rm", "/tmp/ok"], Ct)).ExitCode);
        await watcher.WaitUntilAsync(() => Desired(watcher).IsDraining(vip, Published(container)), "draining once unhealthy again");
    }

    [Fact]
    public async Task A_bad_label_fails_only_that_container_with_one_line_naming_label_and_value()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        await using var good = Labelled(env, "desired-good", env.Name("good")).Build();
        await using var bad = Labelled(env, "desired-bad", env.Name("bad")).WithLabel("gorb.weight", "heavy").Build();
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
    public async Task Container_backend_uses_the_address_on_the_named_network_after_connect()
    {
        env.RequireDocker();
        await using var watcher = await WatcherHarness.StartAsync(env);
        var networkName = env.Name("desired-net");
        await using var network = new NetworkBuilder().WithName(networkName).WithLabel(DockerEnvironment.TestLabel, env.RunId).Build();
        await network.CreateAsync(Ct);
        await using var container = TestContainers.Busybox(env, "desired-netc", TestContainers.Server)
            .WithExposedPort(8080)
            .WithLabel("gorb.enable", "true")
            .WithLabel("gorb.backend", "container")
            .WithLabel("gorb.network", networkName)
            .WithLabel("gorb.ports", "80:8080")
            .Build();
        await container.StartAsync(Ct);
        await watcher.WaitForLifecycleAsync(container.Id, ContainerLifecycle.Running);
        // Not on that network yet: a clear error, nothing registered.
        await watcher.WaitUntilAsync(() => Desired(watcher).Errors.Any(e => e.Message.Contains(networkName)), "network error before connect");

        await container.ConnectAsync(network, Ct);
        var vip = VirtualServiceKey.For(IpvsProtocol.Tcp, HostAddress, 80);
        await watcher.WaitUntilAsync(() => Desired(watcher).Find(vip)?.Destinations.Count == 1, "destination on the network after connect");
        var address = watcher.Get(container.Id)!.Networks.Single(n => n.Name == networkName).IPv4Address!;
        Assert.Equal(new DestinationKey(address, 8080), Desired(watcher).Find(vip)!.Destinations.Single().Key);
    }
}
