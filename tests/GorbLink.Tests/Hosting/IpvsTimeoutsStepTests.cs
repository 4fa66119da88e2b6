using GorbLink.Hosting;
using GorbLink.Ipvs;
using GorbLink.Tests.Metrics;

namespace GorbLink.Tests.Hosting;

/// <summary>The start-up step of --ipvs-timeouts against the fake IPVS client (its SET_CONFIG keeps a value sent as 0).</summary>
public class IpvsTimeoutsStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<IpvsTimeouts, IpvsTimeouts, IpvsTimeouts, IpvsTimeouts?> Cases => new()
    {
        // kernel before, asked for, kernel after, what was sent (null: nothing)
        { new(900, 120, 300), new(3600, 0, 0), new(3600, 120, 300), new(3600, 0, 0) },
        { new(900, 120, 300), new(3600, 60, 30), new(3600, 60, 30), new(3600, 60, 30) },
        { new(900, 120, 300), new(900, 120, 30), new(900, 120, 30), new(0, 0, 30) },
        { new(900, 120, 300), new(900, 120, 300), new(900, 120, 300), null },
        { new(900, 120, 300), new(0, 0, 0), new(900, 120, 300), null },
        { new(3600, 120, 300), new(3600, 0, 0), new(3600, 120, 300), null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task WritesOnlyWhatDiffers(IpvsTimeouts before, IpvsTimeouts wanted, IpvsTimeouts after, IpvsTimeouts? sent)
    {
        var ipvs = new FakeIpvsClient { Timeouts = before };
        var log = new ListLogger();
        Assert.Null(await IpvsTimeoutsStep.ApplyAsync(ipvs, wanted, dryRun: false, log, Ct));
        Assert.Equal(after, ipvs.Timeouts);
        if (sent is null)
        {
            Assert.Empty(ipvs.TimeoutWrites);
            Assert.Empty(log.Lines); // already equal: not logged
        }
        else
        {
            Assert.Equal([sent], ipvs.TimeoutWrites);
            var line = Assert.Single(log.Lines);
            Assert.Equal($"1601 IPVS timeouts set host-wide: {IpvsTimeoutsStep.Describe(before)} -> {IpvsTimeoutsStep.Describe(after)}", line);
        }
    }

    [Fact]
    public async Task ADryRunOnlySaysWhatItWouldSet()
    {
        var ipvs = new FakeIpvsClient();
        var log = new ListLogger();
        Assert.Null(await IpvsTimeoutsStep.ApplyAsync(ipvs, new IpvsTimeouts(3600, 0, 0), dryRun: true, log, Ct));
        Assert.Empty(ipvs.TimeoutWrites);
        Assert.Equal(new IpvsTimeouts(900, 120, 300), ipvs.Timeouts);
        Assert.Equal(["1602 dry run, would set the IPVS timeouts host-wide: tcp 900 s, tcpfin 120 s, udp 300 s -> tcp 3600 s, tcpfin 120 s, udp 300 s"], log.Lines);
    }

    [Fact]
    public async Task APermissionRefusalIsExitFiveWithOneLine()
    {
        var ipvs = new FakeIpvsClient { TimeoutsWriteError = new IpvsPermissionException(IpvsOperationKind.SetConfig, "timeouts", "set config timeouts: EPERM, needs CAP_NET_ADMIN") };
        var failure = await IpvsTimeoutsStep.ApplyAsync(ipvs, new IpvsTimeouts(3600, 0, 0), dryRun: false, new ListLogger(), Ct);
        Assert.Equal(ExitCodes.NoPermission, failure?.ExitCode);
        Assert.StartsWith("--ipvs-timeouts: ", failure?.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", failure?.Reason ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherRefusalIsExitOne()
    {
        var ipvs = new FakeIpvsClient { TimeoutsWriteError = new IpvsException(IpvsOperationKind.SetConfig, "timeouts", GorbLink.Netlink.Errno.EINVAL, "set config timeouts: EINVAL") };
        var failure = await IpvsTimeoutsStep.ApplyAsync(ipvs, new IpvsTimeouts(3600, 0, 0), dryRun: false, new ListLogger(), Ct);
        Assert.Equal(ExitCodes.Failure, failure?.ExitCode);
        Assert.Contains("cannot set the IPVS timeouts", failure?.Reason, StringComparison.Ordinal);
    }
}
