using GorbLink.Ipvs;

namespace GorbLink.Core.Desired;

/// <summary>A virtual service as it should be in the kernel, with all of its destinations.</summary>
public sealed record DesiredService(VirtualService Service, IReadOnlyList<Destination> Destinations)
{
    public VirtualServiceKey Key => Service.Key;
}
