using System.Net;
using GorbLink.Netlink.Route;

namespace GorbLink.Agent.KernelTests;

/// <summary>rtnetlink address add, list and delete on a real interface, cross-checked with `ip addr`.</summary>
public sealed class AddressKernelTests : IDisposable
{
    private const string Device = "glkaddr0";

    public void Dispose() => Node.Run("ip", "link", "del", Device);

    [Fact]
    public async Task AddListDeleteMatchIpAddr()
    {
        Node.RequireKernel();
        var index = Node.Dummy(Device);
        using var client = InterfaceAddressClient.Open();
        Assert.Equal(index, client.GetInterfaceIndex(Device));
        var token = TestContext.Current.CancellationToken;

        Assert.True(await client.AddAsync(InterfaceAddress.Host(index, IPAddress.Parse("10.97.0.1")), token));
        Assert.True(await client.AddAsync(InterfaceAddress.Host(index, IPAddress.Parse("fd97::1")), token));
        Assert.False(await client.AddAsync(InterfaceAddress.Host(index, IPAddress.Parse("10.97.0.1")), token));
        Node.Sh($"ip addr add 10.97.0.9/24 dev {Device}"); // the operator's own address
        Assert.Equal(["10.97.0.1/32", "10.97.0.9/24", "fd97::1/128"], Node.IpAddr(Device));

        var listed = (await client.GetAddressesAsync(token)).Where(a => a.InterfaceIndex == index && a.Scope == RouteConstants.ScopeUniverse)
            .Select(a => a.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(Node.IpAddr(Device), listed);
        // The IPv6 host address skipped duplicate address detection: usable at once, not tentative.
        Assert.DoesNotContain("tentative", Node.Sh($"ip -6 addr show dev {Device}"), StringComparison.Ordinal);

        Assert.True(await client.DeleteAsync(InterfaceAddress.Host(index, IPAddress.Parse("10.97.0.1")), token));
        Assert.True(await client.DeleteAsync(InterfaceAddress.Host(index, IPAddress.Parse("fd97::1")), token));
        Assert.False(await client.DeleteAsync(InterfaceAddress.Host(index, IPAddress.Parse("10.97.0.1")), token));
        Assert.Equal(["10.97.0.9/24"], Node.IpAddr(Device));
    }
}
