using System.Net;
using GorbLink.Core.Vips;
using GorbLink.Netlink.Route;

namespace GorbLink.Agent.KernelTests;

/// <summary>--vip-interface's manager on real interfaces: adds what is missing, removes only what it added.</summary>
public sealed class VipManagerKernelTests : IDisposable
{
    private const string Device = "glkvip0";
    private const string Other = "glkother0";
    private readonly string _state = Directory.CreateTempSubdirectory("gorblink-vips").FullName;

    public void Dispose()
    {
        Node.Run("ip", "link", "del", Device);
        Node.Run("ip", "link", "del", Other);
        Directory.Delete(_state, recursive: true);
    }

    private VipManager Manager(InterfaceAddressClient client) =>
        new(client, new VipManagerOptions { Interface = Device, StatePath = Path.Combine(_state, VipStateFile.FileName) });

    private static HashSet<IPAddress> Set(params string[] addresses) => [.. addresses.Select(IPAddress.Parse)];

    [Fact]
    public async Task AddsMissingVipsAndRemovesOnlyThoseItAdded()
    {
        Node.RequireKernel();
        Node.Dummy(Device);
        Node.Dummy(Other);
        var token = TestContext.Current.CancellationToken;
        // Before the agent: one VIP is already on this interface, another on a different one.
        Node.Sh($"ip addr add 10.96.0.2/32 dev {Device} && ip addr add 10.96.0.3/24 dev {Other}");
        using var client = InterfaceAddressClient.Open();

        var first = await Manager(client).SyncAsync(Set("10.96.0.1", "10.96.0.2", "10.96.0.3", "fd96::1"), token);
        Assert.Empty(first.Failures);
        Assert.Equal(["10.96.0.1/32", "10.96.0.2/32", "fd96::1/128"], Node.IpAddr(Device));
        Assert.Equal(["10.96.0.3/24"], Node.IpAddr(Other));
        Assert.Equal(["10.96.0.1/32 on glkvip0", "fd96::1/128 on glkvip0"], VipStateFile.Read(Path.Combine(_state, VipStateFile.FileName)).Select(v => v.ToString()));

        // A restarted agent; no service uses any VIP anymore.
        var second = await Manager(client).SyncAsync(Set(), token);
        Assert.Empty(second.Failures);
        Assert.Equal(2, second.Removed.Count);
        Assert.Equal(["10.96.0.2/32"], Node.IpAddr(Device)); // the operator's address stays
        Assert.Equal(["10.96.0.3/24"], Node.IpAddr(Other));
        Assert.Empty(VipStateFile.Read(Path.Combine(_state, VipStateFile.FileName)));
    }
}
