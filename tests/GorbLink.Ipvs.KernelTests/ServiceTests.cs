using System.Net;
using System.Net.Sockets;

namespace GorbLink.Ipvs.KernelTests;

public class ServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static VirtualServiceKey Tcp(string address, ushort port) => VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse(address), port);

    [Fact]
    public async Task InfoReportsVersionAndConnectionTableSize()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var info = await ipvs.GetInfoAsync(Ct);
        Assert.Equal("1.2.1", info.Version);
        Assert.True(info.ConnectionTableSize > 0);
    }

    [Theory]
    [InlineData("rr")]
    [InlineData("wrr")]
    [InlineData("lc")]
    [InlineData("wlc")]
    [InlineData("fo")]
    [InlineData("ovf")]
    [InlineData("lblc")]
    [InlineData("lblcr")]
    [InlineData("dh")]
    [InlineData("sh")]
    [InlineData("mh")]
    [InlineData("sed")]
    [InlineData("nq")]
    [InlineData("twos")]
    public async Task EveryMainlineSchedulerTheKernelShipsCreatesAServiceAndOthersAreNamedMissing(string scheduler)
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var service = new VirtualService(Tcp("10.0.0.1", 80), new VirtualServiceSpec { Scheduler = scheduler });
        if (!KernelIpvs.HasSchedulerModule(scheduler))
        {
            var error = await Assert.ThrowsAsync<IpvsException>(() => ipvs.CreateServiceAsync(service, Ct));
            Assert.Contains($"scheduler '{scheduler}' not found", error.Message);
            return;
        }
        await ipvs.CreateServiceAsync(service, Ct);
        var read = await ipvs.GetServiceAsync(service.Key, Ct);
        Assert.Equal(service, read!.Service);
        Assert.Contains($"-A -t 10.0.0.1:80 -s {scheduler}", KernelIpvs.IpvsadmSave());
    }

    [Fact]
    public async Task UdpSctpFirewallMarkAndIPv6ServicesRoundTrip()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        VirtualService[] services =
        [
            new(VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.2"), 53), new VirtualServiceSpec { Scheduler = "rr", Flags = ServiceFlags.OnePacket }),
            new(VirtualServiceKey.For(IpvsProtocol.Sctp, IPAddress.Parse("10.0.0.3"), 3868), new VirtualServiceSpec { Scheduler = "rr" }),
            new(VirtualServiceKey.ForFirewallMark(AddressFamily.InterNetwork, 7), new VirtualServiceSpec { Scheduler = "wlc" }),
            new(VirtualServiceKey.ForFirewallMark(AddressFamily.InterNetworkV6, 8), new VirtualServiceSpec { Scheduler = "wlc" }),
            new(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("fd00::1"), 443), new VirtualServiceSpec { Scheduler = "rr", PersistenceTimeout = 120, NetmaskPrefixLength = 64 }),
        ];
        foreach (var service in services) await ipvs.CreateServiceAsync(service, Ct);

        var read = (await ipvs.GetServicesAsync(Ct)).Select(s => s.Service).ToHashSet();
        Assert.Equal(services.ToHashSet(), read);
        var save = KernelIpvs.IpvsadmSave();
        Assert.Contains("-A -u 10.0.0.2:53 -s rr -o", save);
        Assert.Contains("-A --sctp-service 10.0.0.3:3868 -s rr", save);
        Assert.Contains("-A -f 7 -s wlc", save);
        Assert.Contains("-A -f 8 -6 -s wlc", save);
        Assert.Contains("-A -t [fd00::1]:443 -s rr -p 120 -M 64", save);
    }

    [Fact]
    public async Task SchedulerFlagsPersistenceAndNetmaskRoundTripAndUpdateKeepsTheService()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var key = Tcp("10.0.0.1", 80);
        var sh = new VirtualService(key, new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched1 | ServiceFlags.Sched2, PersistenceTimeout = 300, NetmaskPrefixLength = 24 });
        await ipvs.CreateServiceAsync(sh, Ct);
        Assert.Equal(sh, (await ipvs.GetServiceAsync(key, Ct))!.Service);
        Assert.Contains("-A -t 10.0.0.1:80 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port", KernelIpvs.IpvsadmSave());

        var mh = sh with { Spec = new VirtualServiceSpec { Scheduler = "mh", Flags = ServiceFlags.Sched2 } };
        await ipvs.UpdateServiceAsync(mh, Ct);
        Assert.Equal(mh, (await ipvs.GetServiceAsync(key, Ct))!.Service);
        Assert.Contains("-A -t 10.0.0.1:80 -s mh -b mh-port", KernelIpvs.IpvsadmSave());

        await ipvs.DeleteServiceAsync(key, Ct);
        Assert.Null(await ipvs.GetServiceAsync(key, Ct));
        Assert.Empty(KernelIpvs.IpvsadmSave());
    }

    /// <summary>
    /// A persistent service with the SIP persistence engine: the kernel loads ip_vs_pe_sip on first use (the VM loads
    /// only ip_vs up front). A kernel without that module fails this test by name rather than passing it quietly.
    /// </summary>
    [Fact]
    public async Task SipPersistenceEngineRoundTripsAndAnUpdateWithoutItRemovesIt()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        if (!KernelIpvs.HasIpvsModule("pe_sip"))
            Assert.Fail($"this kernel ({File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}) ships no ip_vs_pe_sip module " +
                "(neither a file under net/netfilter/ipvs nor built in): the SIP persistence engine cannot be tested here");
        var key = VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.5"), 5060);
        var sip = new VirtualService(key, new VirtualServiceSpec { Scheduler = "rr", PersistenceTimeout = 60, PersistenceEngine = "sip" });

        await ipvs.CreateServiceAsync(sip, Ct);

        Assert.Equal(sip, (await ipvs.GetServiceAsync(key, Ct))!.Service);
        Assert.Equal(sip, Assert.Single(await ipvs.GetServicesAsync(Ct)).Service);
        Assert.Equal(["-A -u 10.0.0.5:5060 -s rr -p 60 --pe sip"], KernelIpvs.IpvsadmSave());

        // SET_SERVICE without PE_NAME detaches the engine; the service stays persistent.
        var plain = sip with { Spec = sip.Spec with { PersistenceEngine = null } };
        await ipvs.UpdateServiceAsync(plain, Ct);
        Assert.Equal(plain, (await ipvs.GetServiceAsync(key, Ct))!.Service);
        Assert.Equal(["-A -u 10.0.0.5:5060 -s rr -p 60"], KernelIpvs.IpvsadmSave());

        await ipvs.UpdateServiceAsync(sip, Ct);
        Assert.Equal(sip, (await ipvs.GetServiceAsync(key, Ct))!.Service);

        var unknown = await Assert.ThrowsAsync<IpvsException>(() => ipvs.CreateServiceAsync(
            new VirtualService(Tcp("10.0.0.6", 5060), sip.Spec with { PersistenceEngine = "nosuchpe" }), Ct));
        Assert.Equal(2, unknown.Errno);
        Assert.Contains("persistence engine 'nosuchpe' not found", unknown.Message);
        Assert.Contains("ip_vs_pe_nosuchpe", unknown.Message);
    }

    [Fact]
    public async Task ServiceErrorsNameTheServiceOrScheduler()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var service = new VirtualService(Tcp("10.0.0.1", 80), VirtualServiceSpec.Default);
        await ipvs.CreateServiceAsync(service, Ct);

        var exists = await Assert.ThrowsAsync<IpvsException>(() => ipvs.CreateServiceAsync(service, Ct));
        Assert.Equal("service tcp 10.0.0.1:80 already exists", exists.Message);

        var noScheduler = await Assert.ThrowsAsync<IpvsException>(() =>
            ipvs.CreateServiceAsync(new VirtualService(Tcp("10.0.0.9", 80), new VirtualServiceSpec { Scheduler = "xyz" }), Ct));
        Assert.StartsWith("scheduler 'xyz' not found", noScheduler.Message);

        var missing = await Assert.ThrowsAsync<IpvsException>(() => ipvs.DeleteServiceAsync(Tcp("10.0.0.8", 80), Ct));
        Assert.Equal("no such service tcp 10.0.0.8:80", missing.Message);

        var update = await Assert.ThrowsAsync<IpvsException>(() =>
            ipvs.UpdateServiceAsync(new VirtualService(Tcp("10.0.0.8", 80), VirtualServiceSpec.Default), Ct));
        Assert.Equal("no such service tcp 10.0.0.8:80", update.Message);
    }

    [Fact]
    public async Task TimeoutsRoundTripAndZeroLeavesAValueUnchanged()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var before = await ipvs.GetTimeoutsAsync(Ct);
        try
        {
            await ipvs.SetTimeoutsAsync(new IpvsTimeouts(901, 0, 301), Ct);
            var after = await ipvs.GetTimeoutsAsync(Ct);
            Assert.Equal(new IpvsTimeouts(901, before.TcpFin, 301), after);
            Assert.Contains($"Timeout (tcp tcpfin udp): 901 {before.TcpFin} 301", KernelIpvs.Run("ipvsadm", "-L --timeout"));
        }
        finally
        {
            await ipvs.SetTimeoutsAsync(before, Ct);
        }
    }

    [Fact]
    public async Task FlushRemovesEverything()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        await ipvs.CreateServiceAsync(new VirtualService(Tcp("10.0.0.1", 80), VirtualServiceSpec.Default), Ct);
        await ipvs.CreateServiceAsync(new VirtualService(Tcp("10.0.0.1", 81), VirtualServiceSpec.Default), Ct);
        await ipvs.FlushAsync(Ct);
        Assert.Empty(await ipvs.GetServicesAsync(Ct));
        Assert.Empty(KernelIpvs.IpvsadmSave());
    }

    [Fact]
    public async Task SyncDaemonStartsListsAndStops()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        KernelIpvs.Run("sh", "-c \"ip link show glsync0 >/dev/null 2>&1 || (ip link add glsync0 type dummy && ip link set glsync0 up)\"");
        await ipvs.StartSyncDaemonAsync(new SyncDaemon { State = SyncDaemonState.Master, Interface = "glsync0", SyncId = 9 }, Ct);
        try
        {
            var daemon = Assert.Single(await ipvs.GetSyncDaemonsAsync(Ct));
            Assert.Equal((SyncDaemonState.Master, "glsync0", 9u), (daemon.State, daemon.Interface, daemon.SyncId));
            Assert.Contains("master sync daemon (mcast=glsync0, syncid=9", KernelIpvs.Run("ipvsadm", "-L --daemon"));
            var again = await Assert.ThrowsAsync<IpvsException>(() =>
                ipvs.StartSyncDaemonAsync(new SyncDaemon { State = SyncDaemonState.Master, Interface = "glsync0", SyncId = 9 }, Ct));
            Assert.Contains("already running", again.Message);
        }
        finally
        {
            await ipvs.StopSyncDaemonAsync(SyncDaemonState.Master, Ct);
        }
        Assert.Empty(await ipvs.GetSyncDaemonsAsync(Ct));
        var stopped = await Assert.ThrowsAsync<IpvsException>(() => ipvs.StopSyncDaemonAsync(SyncDaemonState.Master, Ct));
        Assert.Contains("not running", stopped.Message);
    }
}
