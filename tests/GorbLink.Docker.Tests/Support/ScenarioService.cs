using System.Net;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;

namespace GorbLink.Docker.Tests.Support;

/// <summary>
/// One virtual service of a scenario: its <c>gorb.*</c> labels, and the desired state the agent computes for it from
/// a watcher's store (<see cref="DesiredStateBuilder"/> over <see cref="WatcherHarness.Store"/>, as the agent does).
/// </summary>
/// <remarks>
/// Every scenario gets a VIP of its own (<c>gorb.vip</c>). Every watcher sees every container on the engine (other
/// tests run in parallel, and other runs may share the engine); claims are per VIP:port/protocol, so with a shared
/// VIP another test's container could hold the service and refuse this one's.
/// </remarks>
public sealed class ScenarioService
{
    /// <summary>The <c>--interface</c> address: <c>0.0.0.0</c> bindings become destinations on it.</summary>
    public static readonly IPAddress HostAddress = IPAddress.Parse("10.99.0.1");

    /// <summary>The container port every scenario server listens on (see <see cref="TestContainers.Server"/>).</summary>
    public const ushort ContainerPort = 8080;

    private static readonly DesiredStateBuilder Builder = new(LabelOptions.ForInterface([HostAddress]));

    // 10.<100..199>.<0..255>.<1..254>: random per test process, then one address per scenario.
    private static readonly int VipBase = (100 + Random.Shared.Next(100)) << 16 | Random.Shared.Next(256) << 8;
    private static int _lastVip;

    private readonly DockerEnvironment _env;

    public ScenarioService(DockerEnvironment env, string name, ushort virtualPort = ContainerPort)
    {
        _env = env;
        Name = env.Name(name);
        var n = Interlocked.Increment(ref _lastVip);
        if (n > 254) throw new InvalidOperationException("more than 254 scenario VIPs in one test run");
        var v = VipBase | n;
        Vip = new IPAddress([10, (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
        Key = VirtualServiceKey.For(IpvsProtocol.Tcp, Vip, virtualPort);
    }

    /// <summary>The <c>gorb.service</c> name.</summary>
    public string Name { get; }

    /// <summary>The <c>gorb.vip</c> of this scenario.</summary>
    public IPAddress Vip { get; }

    /// <summary>TCP VIP:port of the virtual service.</summary>
    public VirtualServiceKey Key { get; }

    /// <summary>
    /// A container of this service: <c>gorb.enable</c>, <c>gorb.service</c>, <c>gorb.vip</c>, <c>gorb.scheduler=rr</c>,
    /// and (published backend, the default) port 8080 published on a random host port.
    /// </summary>
    public ContainerBuilder Container(string scenario, params string[] command) =>
        Labels(TestContainers.Busybox(_env, scenario, command)).WithPortBinding(ContainerPort, true);

    /// <summary>This service's labels on any container builder.</summary>
    public ContainerBuilder Labels(ContainerBuilder builder) => builder
        .WithLabel("gorb.enable", "true")
        .WithLabel("gorb.service", Name)
        .WithLabel("gorb.vip", Vip.ToString())
        .WithLabel("gorb.scheduler", "rr");

    /// <summary>The desired state the agent computes from the watcher's store right now.</summary>
    public static DesiredState Desired(WatcherHarness watcher) => Builder.Build(watcher.Store.Snapshot());

    /// <summary>The desired state computed from any containers (e.g. freshly inspected ones).</summary>
    public static DesiredState Desired(IEnumerable<GorbLink.Core.Containers.ContainerRecord> containers) => Builder.Build(containers);

    /// <summary>The destination of a published-backend container: the host address and its published port.</summary>
    public static DestinationKey Published(IContainer container) => new(HostAddress, container.GetMappedPublicPort(ContainerPort));

    public static DestinationKey Published(ushort hostPort) => new(HostAddress, hostPort);

    /// <summary>How a backend reads in <see cref="Backends(DesiredState)"/>: <c>10.99.0.1:32768 weight 100</c>, <c>… weight 0 draining</c>.</summary>
    public static string Backend(DestinationKey destination, int weight = 100, bool draining = false) =>
        $"{destination} weight {weight}{(draining ? " draining" : "")}";

    /// <summary>This service's destinations in <paramref name="state"/>, sorted, as <see cref="Backend"/> strings; empty when the service is absent.</summary>
    public IReadOnlyList<string> Backends(DesiredState state) =>
        state.Find(Key) is { } service
            ? service.Destinations.Select(d => Backend(d.Key, d.Spec.Weight, state.IsDraining(Key, d.Key))).Order(StringComparer.Ordinal).ToList()
            : [];

    public IReadOnlyList<string> Backends(WatcherHarness watcher) => Backends(Desired(watcher));

    /// <summary>Waits until the service's backends are exactly <paramref name="expected"/> (none: the service is absent).</summary>
    public async Task<DesiredState> WaitForBackendsAsync(WatcherHarness watcher, string what, params string[] expected)
    {
        var want = expected.Order(StringComparer.Ordinal).ToList();
        DesiredState state = DesiredState.Empty;
        await watcher.WaitUntilAsync(() => Backends(state = Desired(watcher)).SequenceEqual(want), $"{what}: [{string.Join(", ", want)}]",
            detail: () => $"desired backends of {Key}: [{string.Join(", ", Backends(state))}]");
        return state;
    }

    /// <summary>
    /// What one destination was in each desired state computed from the store's recorded revisions, repeated states
    /// merged, leading absences dropped: e.g. <c>["weight 100", "weight 0 draining", "absent"]</c>. The recorder may
    /// skip revisions that were replaced quickly, so only assert that something did NOT happen, or on the ends.
    /// </summary>
    public IReadOnlyList<string> History(WatcherHarness watcher, DestinationKey destination)
    {
        var states = new List<string>();
        foreach (var snapshot in watcher.Snapshots())
        {
            var state = Builder.Build(snapshot);
            var d = state.Find(Key)?.Destinations.FirstOrDefault(x => x.Key == destination);
            var s = d is null ? "absent" : $"weight {d.Spec.Weight}{(state.IsDraining(Key, destination) ? " draining" : "")}";
            if (states.Count == 0 ? s != "absent" : states[^1] != s) states.Add(s);
        }

        return states;
    }
}
