using System.Net;
using GorbLink.Core.Ownership;
using GorbLink.Core.Tests.Reconcile;
using GorbLink.Core.Vips;
using GorbLink.Ipvs;
using GorbLink.Netlink;
using GorbLink.Netlink.Route;
using static GorbLink.Core.Tests.Reconcile.ReconcileHarness;

namespace GorbLink.Core.Tests.Vips;

/// <summary>The host's interfaces in memory: eth0 (index 2, with the host address) and vip0 (index 3, empty).</summary>
internal sealed class FakeAddresses : IInterfaceAddressClient
{
    public Dictionary<string, int> Interfaces { get; } = new(StringComparer.Ordinal) { ["lo"] = 1, ["eth0"] = 2, ["vip0"] = 3 };
    public List<InterfaceAddress> Addresses { get; } =
    [
        new(1, IPAddress.Loopback, 8),
        new(2, ReconcileHarness.Host, 24),
    ];
    public List<string> Calls { get; } = [];
    public int? FailWith { get; set; }
    /// <summary>An address that "appears" between the dump and the add (EEXIST).</summary>
    public IPAddress? RaceOn { get; set; }

    public int GetInterfaceIndex(string name) =>
        Interfaces.TryGetValue(name, out var index) ? index : throw new InterfaceNotFoundException(name, Errno.ENODEV);

    public Task<IReadOnlyList<InterfaceAddress>> GetAddressesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<InterfaceAddress>>([.. Addresses]);

    public Task<bool> AddAsync(InterfaceAddress address, CancellationToken cancellationToken = default)
    {
        Calls.Add($"add {address} dev {address.InterfaceIndex}");
        if (FailWith is { } errno) throw new NetlinkException($"add address {address}", new Errno(errno));
        if (address.Address.Equals(RaceOn) || Addresses.Any(a => a.InterfaceIndex == address.InterfaceIndex && a.Address.Equals(address.Address)))
            return Task.FromResult(false);
        Addresses.Add(address);
        return Task.FromResult(true);
    }

    public Task<bool> DeleteAsync(InterfaceAddress address, CancellationToken cancellationToken = default)
    {
        Calls.Add($"del {address} dev {address.InterfaceIndex}");
        if (FailWith is { } errno) throw new NetlinkException($"delete address {address}", new Errno(errno));
        return Task.FromResult(Addresses.RemoveAll(a => a.InterfaceIndex == address.InterfaceIndex && a.Address.Equals(address.Address)) > 0);
    }
}

public sealed class VipManagerTests : IDisposable
{
    private static readonly IPAddress Vip = IPAddress.Parse("10.0.0.1");
    private readonly ReconcileHarness _h = new();
    private readonly FakeAddresses _host = new();
    private readonly RecordingLogger<VipManager> _log = new();

    public void Dispose() => _h.Dispose();

    private string VipFile => Path.Combine(_h.Directory, VipStateFile.FileName);

    private VipManager Manager(bool dryRun = false, string device = "vip0") =>
        new(_host, new VipManagerOptions { Interface = device, StatePath = VipFile, DryRun = dryRun }, _h.Ownership, _log);

    private static HashSet<IPAddress> Set(params string[] addresses) => [.. addresses.Select(IPAddress.Parse)];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AVipInUseThatNoInterfaceHasIsAddedAsAHostAddressAndRecorded()
    {
        var vips = Manager();
        var result = await vips.SyncAsync(Set("10.0.0.1", "2001:db8::1"), Token);

        Assert.Equal(["add 10.0.0.1/32 dev 3", "add 2001:db8::1/128 dev 3"], _host.Calls);
        Assert.Equal(2, result.Added.Count);
        Assert.Equal(["10.0.0.1/32 on vip0", "2001:db8::1/128 on vip0"], VipStateFile.Read(VipFile).Select(v => v.ToString()));
        Assert.Equal(2, vips.Managed.Count);
        Assert.Equal(2, _log.WithEvent(3201).Count);

        _host.Calls.Clear();
        var again = await vips.SyncAsync(Set("10.0.0.1", "2001:db8::1"), Token);
        Assert.Empty(_host.Calls);
        Assert.Empty(again.Added);
    }

    [Fact]
    public async Task AnAddressAlreadyOnTheHostIsNeverAddedNorRemoved()
    {
        var vips = Manager();
        // The --interface address (the default VIP) is on eth0 already.
        await vips.SyncAsync(Set(ReconcileHarness.Host.ToString()), Token);
        await vips.SyncAsync(Set(), Token);

        Assert.Empty(_host.Calls);
        Assert.Contains(_host.Addresses, a => a.Address.Equals(ReconcileHarness.Host));
        Assert.Single(_log.WithEvent(3203));
        Assert.False(File.Exists(VipFile));
    }

    [Fact]
    public async Task WhatItAddedIsRemovedWhenNoServiceUsesIt()
    {
        var vips = Manager();
        await vips.SyncAsync(Set("10.0.0.1", "10.0.0.2"), Token);
        _host.Calls.Clear();

        var result = await vips.SyncAsync(Set("10.0.0.2"), Token);

        Assert.Equal(["del 10.0.0.1/32 dev 3"], _host.Calls);
        Assert.Equal("10.0.0.1/32 on vip0", Assert.Single(result.Removed).ToString());
        Assert.Equal(["10.0.0.2/32 on vip0"], VipStateFile.Read(VipFile).Select(v => v.ToString()));
        Assert.DoesNotContain(_host.Addresses, a => a.Address.Equals(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public async Task ARestartedAgentRemovesWhatItAddedBeforeAndForgetsWhatIsGone()
    {
        await Manager().SyncAsync(Set("10.0.0.1", "10.0.0.2", "10.0.0.3"), Token);
        // While the agent was down: someone removed 10.0.0.3 by hand.
        _host.Addresses.RemoveAll(a => a.Address.Equals(IPAddress.Parse("10.0.0.3")));
        _host.Calls.Clear();

        var restarted = Manager();
        Assert.Equal(3, restarted.Load().Count);
        await restarted.SyncAsync(Set("10.0.0.2"), Token);

        Assert.Equal(["del 10.0.0.1/32 dev 3"], _host.Calls);
        Assert.Equal(["10.0.0.2/32 on vip0"], VipStateFile.Read(VipFile).Select(v => v.ToString()));
        Assert.Single(_log.WithEvent(3208)); // 10.0.0.3 forgotten
    }

    [Fact]
    public async Task AnAddressThatAppearsBetweenListingAndAddingIsSomeoneElses()
    {
        _host.RaceOn = IPAddress.Parse("10.0.0.1");
        var vips = Manager();
        var result = await vips.SyncAsync(Set("10.0.0.1"), Token);

        Assert.Empty(result.Added);
        Assert.Empty(VipStateFile.Read(VipFile));
        Assert.Empty(vips.Managed);
    }

    [Fact]
    public async Task DryRunLogsWhatItWouldDoOnceAndChangesNothing()
    {
        await Manager().SyncAsync(Set("10.0.0.1"), Token);
        _host.Calls.Clear();
        var before = File.ReadAllText(VipFile);

        var dry = Manager(dryRun: true);
        await dry.SyncAsync(Set("10.0.0.9"), Token);
        await dry.SyncAsync(Set("10.0.0.9"), Token);

        Assert.Empty(_host.Calls);
        Assert.Equal(before, File.ReadAllText(VipFile));
        Assert.Equal("dry run, would add VIP 10.0.0.9/32 on vip0", Assert.Single(_log.WithEvent(3204)).Message);
        Assert.Equal("dry run, would remove VIP 10.0.0.1/32 on vip0", Assert.Single(_log.WithEvent(3205)).Message);
    }

    [Fact]
    public async Task FailuresAreLoggedOnceCountedAndRetriedWithoutThrowing()
    {
        var vips = Manager(device: "missing0");
        var first = await vips.SyncAsync(Set("10.0.0.1"), Token);
        await vips.SyncAsync(Set("10.0.0.1"), Token);
        Assert.Contains("no network interface named \"missing0\"", Assert.Single(first.Failures));
        Assert.Single(_log.WithEvent(3206));
        Assert.Single(_log.WithEvent(3207));
        Assert.Equal(2, vips.FailureCount);

        _host.FailWith = 1; // EPERM: no CAP_NET_ADMIN
        var denied = await Manager().SyncAsync(Set("10.0.0.1"), Token);
        Assert.Contains("Operation not permitted", Assert.Single(denied.Failures));
        Assert.Empty(VipStateFile.Read(VipFile)); // the write-ahead entry is taken back
    }

    [Fact]
    public async Task InUseMeansDesiredAndNotRefusedOrStillOwnedInTheKernel()
    {
        _h.Set(Container("web-1", 32001));
        await _h.PassAsync();
        // The container goes away; its service is still owned (draining) until it is deleted.
        _h.Remove("web-1");
        var desired = _h.Desired();
        Assert.Empty(desired.Services);
        Assert.Equal(Set("10.0.0.1"), VipManager.AddressesInUse(desired, null, _h.Ownership.Current));
        Assert.Empty(VipManager.AddressesInUse(desired, null, OwnedTable.Empty));

        // A service someone else created on the same key is refused: its VIP is not ours to add.
        _h.Kernel.AddForeign(new GorbLink.Core.Desired.DesiredService(
            new VirtualService(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.7"), 80), VirtualServiceSpec.Default), []));
        _h.Set(Container("api-1", 32002, service: "api", vip: "10.0.0.7"));
        var refused = await _h.PassAsync();
        Assert.DoesNotContain(IPAddress.Parse("10.0.0.7"), VipManager.AddressesInUse(_h.Desired(), refused, OwnedTable.Empty));
    }

    [Fact]
    public async Task AfterCleanupOnExitTheVipsOfDeletedServicesGo()
    {
        _h.Set(Container("web-1", 32001));
        var pass = await _h.PassAsync();
        var vips = Manager();
        await vips.OnPassAsync(_h.Desired(), pass, Token);
        Assert.Equal(["add 10.0.0.1/32 dev 3"], _host.Calls);

        await _h.Reconciler.CleanupAsync(Token);
        await vips.ReleaseAsync(Token);
        Assert.Equal(["add 10.0.0.1/32 dev 3", "del 10.0.0.1/32 dev 3"], _host.Calls);
        Assert.Empty(VipStateFile.Read(VipFile));
    }

    [Fact]
    public void ADamagedVipFileNamesItselfAndTheWayOut()
    {
        File.WriteAllText(VipFile, """{"version":1,"addresses":[{"interface":"vip0","address":"nope","prefixLength":32}]}""");
        var e = Assert.Throws<VipStateFileException>(() => Manager().Load());
        Assert.Contains(VipFile, e.Message);
        Assert.Contains("\"nope\" is not an IP address", e.Message);
    }
}
