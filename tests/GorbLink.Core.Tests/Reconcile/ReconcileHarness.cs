using System.Collections.Immutable;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Ipvs;
using Microsoft.Extensions.Time.Testing;

namespace GorbLink.Core.Tests.Reconcile;

/// <summary>
/// A reconciler against the in-memory kernel, with virtual time, a temporary state directory and a set of containers
/// that tests change between passes. <see cref="Restart"/> builds a new reconciler on the same files, as a restarted agent.
/// </summary>
internal sealed class ReconcileHarness : IDisposable
{
    public static readonly IPAddress Host = IPAddress.Parse("192.0.2.10");
    public static readonly LabelOptions Labels = LabelOptions.ForInterface([Host]);
    public static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    private readonly Dictionary<string, ContainerRecord> _containers = new(StringComparer.Ordinal);
    private DesiredState? _previous;

    public ReconcileHarness(ReconcilerOptions? options = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "gorblink-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Options = options ?? new ReconcilerOptions();
        Restart();
    }

    public string Directory { get; }
    public string StatePath => Path.Combine(Directory, "state.json");
    public string StatusPath => Path.Combine(Directory, "status.json");
    public FakeIpvsClient Kernel { get; } = new();
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    public DesiredStateBuilder Builder { get; private set; } = new(Labels);
    public ReconcilerOptions Options { get; private set; }
    public OwnershipStore Ownership { get; private set; } = null!;
    public Reconciler Reconciler { get; private set; } = null!;
    public RecordingLogger<Reconciler> Log { get; private set; } = null!;

    /// <summary>A new agent process on the same kernel and state directory: nothing in memory survives.</summary>
    public void Restart(ReconcilerOptions? options = null)
    {
        Options = options ?? Options;
        Ownership = new OwnershipStore(new OwnershipOptions { Path = StatePath, AgentVersion = "test" });
        Log = new RecordingLogger<Reconciler>();
        Reconciler = new Reconciler(Kernel, Ownership, Options, Log, Time);
        Builder = new DesiredStateBuilder(Labels);
        _previous = null;
    }

    public static DestinationKey Dest(ushort hostPort) => new(Host, hostPort);

    public static ContainerRecord Container(
        string name,
        ushort hostPort,
        string service = "web",
        ushort port = 80,
        string protocol = "tcp",
        ContainerLifecycle lifecycle = ContainerLifecycle.Running,
        ContainerHealth health = ContainerHealth.None,
        string vip = "10.0.0.1",
        int? weight = null)
    {
        var labels = ImmutableDictionary<string, string>.Empty
            .Add("gorb.enable", "true").Add("gorb.service", service).Add("gorb.vip", vip);
        if (weight is { } w) labels = labels.Add("gorb.weight", w.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new ContainerRecord
        {
            Id = Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(name)).PadRight(24, '0'),
            Name = name,
            Image = "nginx:1.27",
            Labels = labels,
            Lifecycle = lifecycle,
            Health = health,
            ExposedPorts = [$"{port}/{protocol}"],
            PublishedPorts = [new PortBinding(port, protocol, IPAddress.Any, hostPort)],
        };
    }

    public ReconcileHarness Set(params ContainerRecord[] containers)
    {
        foreach (var c in containers) _containers[c.Name] = c;
        return this;
    }

    public ReconcileHarness Remove(string name)
    {
        _containers.Remove(name);
        return this;
    }

    public DesiredState Desired()
    {
        var desired = Builder.Build(_containers.Values, _previous);
        _previous = desired;
        return desired;
    }

    public Task<ReconcileResult> PassAsync() => Reconciler.ReconcileAsync(Desired(), TestContext.Current.CancellationToken);

    public OwnedTable OwnedOnDisk() => new OwnershipStore(new OwnershipOptions { Path = StatePath }).Load();

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
