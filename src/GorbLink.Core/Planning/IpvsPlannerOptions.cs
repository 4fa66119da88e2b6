using GorbLink.Ipvs;

namespace GorbLink.Core.Planning;

public sealed record IpvsPlannerOptions
{
    /// <summary>Delete services that are in the kernel but not desired (only those <see cref="IsOwned"/> accepts).</summary>
    public bool Prune { get; init; }

    /// <summary>Which kernel services pruning may delete; by default all of them.</summary>
    public Func<VirtualServiceKey, bool> IsOwned { get; init; } = static _ => true;

    public static IpvsPlannerOptions Default { get; } = new();
}
