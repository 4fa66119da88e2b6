using System.Net;

namespace GorbLink.Ipvs.KernelTests;

/// <summary>
/// ip_vs unloaded under a running client (an operator's `modprobe -r ip_vs`): the client's next read finds IPVS again
/// by name, and the kernel, asked for the family by name, loads the module again itself (ip_vs carries the alias
/// net-pf-16-proto-16-family-IPVS). The family comes back under a new id, and the client goes on without being reopened.
/// (Where the module cannot come back, the client says IPVS went away: GorbLink.Ipvs.Tests covers that.)
/// </summary>
public class ModuleReloadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnUnloadedIpvsModuleIsFoundAgainByAnOpenClient()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var before = ipvs.Family.Id;
        try
        {
            // Modules that use ip_vs (schedulers, persistence engines) go first; the table is empty, so nothing holds them.
            var users = KernelIpvs.Run("sh", "-c \"lsmod | awk '$1 == \\\"ip_vs\\\" { print $4 }'\"").Trim();
            foreach (var user in users.Split(',', StringSplitOptions.RemoveEmptyEntries)) KernelIpvs.Run("rmmod", user);
            KernelIpvs.Run("rmmod", "ip_vs");
            Assert.False(File.Exists("/proc/net/ip_vs"), "ip_vs is still loaded");

            Assert.Empty(await ipvs.GetServicesAsync(Ct));
            Assert.True(File.Exists("/proc/net/ip_vs"), "ip_vs was not loaded again");
            // Generic netlink hands out family ids cyclically, so the reloaded family has another one.
            Assert.NotEqual(before, ipvs.Family.Id);
        }
        finally
        {
            KernelIpvs.Run("modprobe", "ip_vs");
        }

        var key = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.9"), 80);
        await ipvs.CreateServiceAsync(new VirtualService(key, new VirtualServiceSpec { Scheduler = "rr" }), Ct);
        Assert.Contains("-A -t 10.0.0.9:80 -s rr", KernelIpvs.IpvsadmSave());
        await ipvs.FlushAsync(Ct);
    }
}
