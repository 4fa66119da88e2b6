using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Pipeline;
using GorbLink.Core.Reconcile;
using GorbLink.Core.Vips;
using GorbLink.Docker;
using GorbLink.Ipvs;

namespace GorbLink.Metrics;

/// <summary>What /metrics and /healthz read from the running agent; the seam where tests put a fake agent.</summary>
internal interface IAgentProbe
{
    DockerWatcherStatus Docker { get; }
    /// <summary>The kernel sink runner's counters.</summary>
    SinkCounters Reconcile { get; }
    /// <summary>Destinations at weight 0 waiting for their connections to end.</summary>
    int PendingDrains { get; }
    ReconcileLoopState LoopState { get; }
    /// <summary>A reconcile pass has succeeded since start.</summary>
    bool FirstPassDone { get; }
    /// <summary>The desired state of the last pass (names of services and containers); null before it.</summary>
    DesiredState? Desired { get; }
    /// <summary>The services GorbLink owns in the kernel.</summary>
    IReadOnlyList<VirtualServiceKey> Owned { get; }
    /// <summary>--vip-interface's manager; null without it.</summary>
    VipManager? Vips { get; }
    DateTimeOffset StartedAt { get; }
    /// <summary>The kernel's table now, with its counters.</summary>
    Task<IReadOnlyList<VirtualServiceTable>> ReadKernelAsync(CancellationToken cancellationToken);
}

/// <summary>The probe of the real agent: the watcher, the loop, the ownership store and the kernel client it runs with.</summary>
internal sealed class AgentProbe(
    DockerWatcher watcher,
    ReconcileLoop loop,
    OwnershipStore ownership,
    IIpvsClient ipvs,
    DateTimeOffset startedAt,
    VipManager? vips = null) : IAgentProbe
{
    public DockerWatcherStatus Docker => watcher.Status;
    public SinkCounters Reconcile => loop.Counters;
    public int PendingDrains => loop.PendingDrains;
    public ReconcileLoopState LoopState => loop.State;
    public bool FirstPassDone => loop.FirstPassCompleted.IsCompletedSuccessfully;
    public DesiredState? Desired => loop.Desired;
    public IReadOnlyList<VirtualServiceKey> Owned => ownership.IsLoaded ? ownership.Current.Services : [];
    public VipManager? Vips => vips;
    public DateTimeOffset StartedAt => startedAt;

    public Task<IReadOnlyList<VirtualServiceTable>> ReadKernelAsync(CancellationToken cancellationToken) => ipvs.GetTableAsync(cancellationToken);
}
