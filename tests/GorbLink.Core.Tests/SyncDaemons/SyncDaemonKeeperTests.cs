using System.Net;
using GorbLink.Core.Status;
using GorbLink.Core.SyncDaemons;
using GorbLink.Ipvs;
using GorbLink.Netlink;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Core.Tests.SyncDaemons;

/// <summary>Start what is missing, leave what someone else runs alone, stop only what GorbLink started.</summary>
public sealed class SyncDaemonKeeperTests : IDisposable
{
    private readonly FakeIpvsClient _kernel = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("gorblink-sync-").FullName;

    private static SyncDaemon Master(string device = "eth1", uint syncId = 7) => new() { State = SyncDaemonState.Master, Interface = device, SyncId = syncId };
    private static SyncDaemon Backup(string device = "eth1", uint syncId = 7) => new() { State = SyncDaemonState.Backup, Interface = device, SyncId = syncId };

    private string RecordPath => Path.Combine(_directory, SyncDaemonsFile.FileName);
    private SyncDaemonKeeper Keeper() => new(_kernel, NullLogger<SyncDaemonKeeper>.Instance, RecordPath);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task StartsEachRoleAndStopsThemOnExit()
    {
        var keeper = Keeper();
        await keeper.StartAsync([Backup(), Master()], TestContext.Current.CancellationToken);

        Assert.Equal(["start master eth1", "start backup eth1"], _kernel.DaemonCalls);
        Assert.All(keeper.Outcomes, o => Assert.True(o.StartedByGorbLink));
        // The kernel's defaults come back in the read-back.
        Assert.Equal((ushort?)8848, keeper.Outcomes[0].Running.MulticastPort);
        Assert.Equal(["running", "running"], SyncDaemonsFile.TryRead(RecordPath).Select(e => e.State));

        await keeper.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["start master eth1", "start backup eth1", "stop master", "stop backup"], _kernel.DaemonCalls);
        Assert.Empty(await _kernel.GetSyncDaemonsAsync(TestContext.Current.CancellationToken));
        Assert.False(File.Exists(RecordPath));
    }

    [Fact]
    public async Task LeavesAForeignDaemonAloneAndRunningOnExit()
    {
        _kernel.RunDaemon(Master());
        var keeper = Keeper();
        await keeper.StartAsync([Master(), Backup()], TestContext.Current.CancellationToken);

        Assert.Equal(["start backup eth1"], _kernel.DaemonCalls);
        var master = Assert.Single(keeper.Outcomes, o => o.Wanted.State == SyncDaemonState.Master);
        Assert.False(master.StartedByGorbLink);
        Assert.Null(master.Difference);

        await keeper.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["start backup eth1", "stop backup"], _kernel.DaemonCalls);
        Assert.Equal(SyncDaemonState.Master, Assert.Single(await _kernel.GetSyncDaemonsAsync(TestContext.Current.CancellationToken)).State);
    }

    [Theory]
    [InlineData("eth2", 7u, null, null, "interface eth2, not eth1")]
    [InlineData("eth1", 3u, null, null, "sync id 3, not 7")]
    [InlineData("eth1", 7u, "239.9.9.9", null, "group 239.9.9.9, not 239.1.1.1")]
    [InlineData("eth1", 7u, null, (ushort)9000, "port 9000, not 8849")]
    [InlineData("eth2", 3u, null, null, "interface eth2, not eth1, sync id 3, not 7")]
    public async Task SaysHowAForeignDaemonsSettingsDiffer(string device, uint syncId, string? group, ushort? port, string expected)
    {
        _kernel.RunDaemon(Master(device, syncId) with { MulticastGroup = group is null ? IPAddress.Parse("239.1.1.1") : IPAddress.Parse(group), MulticastPort = port ?? 8849 });
        var keeper = Keeper();
        await keeper.StartAsync([Master() with { MulticastGroup = IPAddress.Parse("239.1.1.1"), MulticastPort = 8849 }], TestContext.Current.CancellationToken);

        var outcome = Assert.Single(keeper.Outcomes);
        Assert.False(outcome.StartedByGorbLink);
        Assert.Equal(expected, outcome.Difference);
        Assert.Empty(_kernel.DaemonCalls);
        var entry = Assert.Single(await keeper.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal((SyncDaemonStatusEntry.Foreign, expected), (entry.State, entry.Note));
    }

    [Fact]
    public async Task AGroupOrPortNotAskedForIsNoDifference()
    {
        _kernel.RunDaemon(Backup() with { MulticastGroup = IPAddress.Parse("239.5.5.5"), MulticastPort = 1234 });
        var keeper = Keeper();
        await keeper.StartAsync([Backup()], TestContext.Current.CancellationToken);
        Assert.Null(Assert.Single(keeper.Outcomes).Difference);
    }

    [Fact]
    public async Task AMissingInterfaceNamesInterfaceRoleAndErrnoAndStopsWhatItStarted()
    {
        _kernel.RefuseDaemon = d => d.State == SyncDaemonState.Backup ? Errno.ENODEV : 0;
        var keeper = Keeper();
        var e = await Assert.ThrowsAsync<SyncDaemonStartException>(() => keeper.StartAsync([Master("sync9"), Backup("sync9")], TestContext.Current.CancellationToken));

        Assert.Equal("cannot start the backup sync daemon on sync9: ENODEV, no such network interface (create it, or name another with --sync-interface)", e.Message);
        Assert.Equal((SyncDaemonState.Backup, "sync9", Errno.ENODEV), (e.Role, e.Interface, e.Errno));
        // The master it had started is stopped again: a failed start leaves nothing behind.
        Assert.Equal(["start master sync9", "start backup sync9", "stop master"], _kernel.DaemonCalls);
        Assert.Empty(await _kernel.GetSyncDaemonsAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(22, "cannot start the master sync daemon on eth1: EINVAL, the kernel refused the interface or the settings")]
    [InlineData(99, "cannot start the master sync daemon on eth1: EADDRNOTAVAIL, the interface has no address of the group's family")]
    public async Task OtherRefusalsNameTheErrno(int errno, string expectedStart)
    {
        _kernel.RefuseDaemon = _ => errno;
        var e = await Assert.ThrowsAsync<SyncDaemonStartException>(() => Keeper().StartAsync([Master()], TestContext.Current.CancellationToken));
        Assert.StartsWith(expectedStart, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdoptsTheDaemonItStartedBeforeACrash()
    {
        var first = Keeper();
        await first.StartAsync([Master()], TestContext.Current.CancellationToken);
        // kill -9: no StopAsync; the record stays, and so does the daemon.
        var second = Keeper();
        await second.StartAsync([Master()], TestContext.Current.CancellationToken);

        Assert.True(Assert.Single(second.Outcomes).StartedByGorbLink);
        await second.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["start master eth1", "stop master"], _kernel.DaemonCalls);
    }

    [Fact]
    public async Task DoesNotAdoptADaemonWithOtherSettingsThanItRecorded()
    {
        await Keeper().StartAsync([Master()], TestContext.Current.CancellationToken);
        var second = Keeper();
        await second.StartAsync([Master(syncId: 8)], TestContext.Current.CancellationToken);
        Assert.False(Assert.Single(second.Outcomes).StartedByGorbLink);
    }

    [Fact]
    public async Task StopToleratesADaemonStoppedBySomeoneElse()
    {
        var keeper = Keeper();
        await keeper.StartAsync([Master()], TestContext.Current.CancellationToken);
        await _kernel.StopSyncDaemonAsync(SyncDaemonState.Master, TestContext.Current.CancellationToken);
        Assert.Equal(SyncDaemonStatusEntry.Stopped, Assert.Single(await keeper.ReadAsync(TestContext.Current.CancellationToken)).State);
        await keeper.StopAsync(TestContext.Current.CancellationToken); // ESRCH: logged, not thrown
    }
}
