using GorbLink.Netlink;
using GorbLink.Netlink.Generic;

namespace GorbLink.Netlink.Tests;

/// <summary>The real socket against the real kernel's nlctrl, which every Linux kernel has.</summary>
public class NetlinkSocketTests
{
    [Fact]
    public async Task ResolvesTheControllerFamilyItselfOverARealSocket()
    {
        using var connection = NetlinkConnection.ForProtocol(NetlinkConstants.NETLINK_GENERIC);
        var family = await GenericNetlink.ResolveFamilyAsync(connection, "nlctrl", TestContext.Current.CancellationToken);
        Assert.Equal(GenericNetlink.ControllerFamilyId, family.Id);
    }

    [Fact]
    public async Task UnknownFamilyIsReportedAsMissing()
    {
        using var connection = NetlinkConnection.ForProtocol(NetlinkConstants.NETLINK_GENERIC);
        await Assert.ThrowsAsync<GenericNetlinkFamilyNotFoundException>(() =>
            GenericNetlink.ResolveFamilyAsync(connection, "NO_SUCH_FAM", TestContext.Current.CancellationToken));
    }
}
