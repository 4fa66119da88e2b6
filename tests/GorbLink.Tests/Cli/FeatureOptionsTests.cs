using System.CommandLine;
using GorbLink.Cli;

namespace GorbLink.Tests.Cli;

/// <summary>--metrics-listen, --vip-interface, --set-sysctls: off by default, from flags or GORBLINK_* variables.</summary>
[Collection(nameof(EnvironmentCollection))]
public class FeatureOptionsTests
{
    private static (RunOptions Options, IReadOnlyList<string> Errors) Parse(params string[] args) => CliTesting.ParseRun(args);

    [Fact]
    public void AllOffByDefault()
    {
        var (options, errors) = Parse();
        Assert.Empty(errors);
        Assert.Equal((null, null, false), (options.MetricsListen, options.VipInterface, options.SetSysctls));
    }

    [Fact]
    public void FlagsSetThem()
    {
        var (options, errors) = Parse("--metrics-listen", "127.0.0.1:9100", "--vip-interface", "gorb0", "--set-sysctls");
        Assert.Empty(errors);
        Assert.Equal(("127.0.0.1:9100", "gorb0", true), (options.MetricsListen, options.VipInterface, options.SetSysctls));
    }

    [Fact]
    public void EnvironmentVariablesSetThem()
    {
        Environment.SetEnvironmentVariable("GORBLINK_METRICS_LISTEN", ":9100");
        Environment.SetEnvironmentVariable("GORBLINK_VIP_INTERFACE", "gorb0");
        Environment.SetEnvironmentVariable("GORBLINK_SET_SYSCTLS", "1");
        try
        {
            var (options, errors) = Parse();
            Assert.Empty(errors);
            Assert.Equal((":9100", "gorb0", true), (options.MetricsListen, options.VipInterface, options.SetSysctls));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_METRICS_LISTEN", null);
            Environment.SetEnvironmentVariable("GORBLINK_VIP_INTERFACE", null);
            Environment.SetEnvironmentVariable("GORBLINK_SET_SYSCTLS", null);
        }
    }

    [Fact]
    public void ABadListenAddressIsAnErrorNamingTheOption()
    {
        var (_, errors) = Parse("--metrics-listen", "somewhere");
        Assert.Contains(errors, e => e.Contains("--metrics-listen", StringComparison.Ordinal) && e.Contains("ADDR:PORT", StringComparison.Ordinal));
    }
}
