using GorbLink.Cli;
using GorbLink.Ipvs;

namespace GorbLink.Tests.Cli;

/// <summary>--ipvs-timeouts TCP,TCPFIN,UDP and GORBLINK_IPVS_TIMEOUTS, on `run` and `serve`.</summary>
[Collection(nameof(EnvironmentCollection))]
public class IpvsTimeoutOptionsTests
{
    public static TheoryData<string, uint, uint, uint> Accepted => new()
    {
        { "3600,120,300", 3600, 120, 300 },
        { "0,0,0", 0, 0, 0 },
        { "7200,0,0", 7200, 0, 0 },
        { " 1 , 2 , 3 ", 1, 2, 3 },
        { "2147483,1,1", 2147483, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void ParsesThreeSecondCounts(string text, uint tcp, uint fin, uint udp)
    {
        Assert.True(IpvsTimeoutOptions.TryParse(text, out var timeouts, out var error), error);
        Assert.Equal(new IpvsTimeouts(tcp, fin, udp), timeouts);
    }

    [Theory]
    [InlineData("", "TCP,TCPFIN,UDP")]
    [InlineData("3600", "TCP,TCPFIN,UDP")]
    [InlineData("3600,120", "TCP,TCPFIN,UDP")]
    [InlineData("1,2,3,4", "TCP,TCPFIN,UDP")]
    [InlineData("-1,120,300", "TCP = \"-1\"")]
    [InlineData("1h,120,300", "TCP = \"1h\"")]
    [InlineData("3600,,300", "TCPFIN = \"\"")]
    [InlineData("3600,120,1.5", "UDP = \"1.5\"")]
    [InlineData("3600,120,+5", "UDP = \"+5\"")]
    [InlineData("2147484,120,300", "more than the kernel can hold")]
    [InlineData("3600,120,4294967296", "UDP = \"4294967296\"")]
    public void RefusesWithAReason(string text, string reason)
    {
        Assert.False(IpvsTimeoutOptions.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void OffByDefault()
    {
        var (options, errors) = CliTesting.ParseRun();
        Assert.Empty(errors);
        Assert.Null(options.IpvsTimeouts);
    }

    [Fact]
    public void TheFlagSetsThem()
    {
        var (options, errors) = CliTesting.ParseRun("--ipvs-timeouts", "3600,0,60");
        Assert.Empty(errors);
        Assert.Equal(new IpvsTimeouts(3600, 0, 60), options.IpvsTimeouts);
    }

    [Fact]
    public void ABadFlagIsOneLineNamingTheFlagAndTheValue()
    {
        var (_, errors) = CliTesting.ParseRun("--ipvs-timeouts", "900,abc,300");
        var error = Assert.Single(errors);
        Assert.Contains("--ipvs-timeouts: \"900,abc,300\"", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void TheEnvironmentVariableSetsThemAndTheFlagWins()
    {
        Environment.SetEnvironmentVariable("GORBLINK_IPVS_TIMEOUTS", "100,20,30");
        try
        {
            Assert.Equal(new IpvsTimeouts(100, 20, 30), CliTesting.ParseRun().Options.IpvsTimeouts);
            Assert.Equal(new IpvsTimeouts(1, 2, 3), CliTesting.ParseRun("--ipvs-timeouts", "1,2,3").Options.IpvsTimeouts);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_IPVS_TIMEOUTS", null);
        }
    }

    [Fact]
    public void ABadEnvironmentVariableIsAnErrorNamingIt()
    {
        Environment.SetEnvironmentVariable("GORBLINK_IPVS_TIMEOUTS", "forever");
        try
        {
            var (_, errors) = CliTesting.ParseRun();
            Assert.Contains(errors, e => e.StartsWith("GORBLINK_IPVS_TIMEOUTS: \"forever\"", StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_IPVS_TIMEOUTS", null);
        }
    }

    [Fact]
    public void RemoteModeWithoutLocalRefusesIt()
    {
        var (options, _) = CliTesting.ParseRun("-r", "director:4672", "--ipvs-timeouts", "3600,0,0");
        Assert.Equal("--ipvs-timeouts", GorbLink.Hosting.RemoteAgentHost.KernelOnlyFlag(options));
    }
}
