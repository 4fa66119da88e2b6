using GorbLink.Ipvs;

namespace GorbLink.Core.Planning;

/// <summary>
/// ipvsadm's listing order (ipvs_cmp_services / ipvs_cmp_dests): services by fwmark (address services first),
/// family, protocol, address, port; destinations by family, address, port.
/// </summary>
internal sealed class IpvsKeyOrder : IComparer<VirtualServiceKey>, IComparer<DestinationKey>
{
    public static IpvsKeyOrder Instance { get; } = new();

    public int Compare(VirtualServiceKey x, VirtualServiceKey y)
    {
        var result = x.FirewallMark.CompareTo(y.FirewallMark);
        if (result == 0) result = ((int)x.Family).CompareTo((int)y.Family);
        if (result == 0) result = ((ushort)x.Protocol).CompareTo((ushort)y.Protocol);
        if (result == 0 && x.Address is not null && y.Address is not null)
            result = x.Address.GetAddressBytes().AsSpan().SequenceCompareTo(y.Address.GetAddressBytes());
        if (result == 0) result = x.Port.CompareTo(y.Port);
        return result;
    }

    public int Compare(DestinationKey x, DestinationKey y)
    {
        var result = ((int)x.Family).CompareTo((int)y.Family);
        if (result == 0) result = x.Address.GetAddressBytes().AsSpan().SequenceCompareTo(y.Address.GetAddressBytes());
        if (result == 0) result = x.Port.CompareTo(y.Port);
        return result;
    }
}
