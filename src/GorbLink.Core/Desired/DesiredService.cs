using GorbLink.Ipvs;

namespace GorbLink.Core.Desired;

/// <summary>A virtual service as it should be in the kernel, with all of its destinations.</summary>
public sealed record DesiredService(VirtualService Service, IReadOnlyList<Destination> Destinations)
{
    public VirtualServiceKey Key => Service.Key;

    /// <summary>
    /// The service exists in the kernel even with no destinations: `serve` creates a GORB service before it has
    /// backends. Container services never set it: they go when their last destination has drained.
    /// </summary>
    public bool KeepWhenEmpty { get; init; }
}
