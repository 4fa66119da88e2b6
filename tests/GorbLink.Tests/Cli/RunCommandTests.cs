using System.CommandLine;
using GorbLink.Cli;

namespace GorbLink.Tests.Cli;

[Collection(nameof(EnvironmentCollection))]
public class RunCommandTests
{
    private static (RunOptions Options, IReadOnlyList<string> Errors) Parse(params string[] args) => CliTesting.ParseRun(args);

    [Fact]
    public void DefaultsMatchGorbDockerLinkAndTheIssue()
    {
        var (options, errors) = Parse();
        Assert.Empty(errors);
        Assert.Equal("eth0", options.Interface);
        Assert.Equal("gorb", options.LabelPrefix);
        Assert.Equal(TimeSpan.FromSeconds(60), options.ResyncInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.DrainTimeout);
        Assert.False(options.DryRun);
        Assert.Equal(LogFormat.Text, options.LogFormat);
        Assert.Equal("/var/lib/gorblink/state.json", options.StateFile);
    }

    [Fact]
    public void ShortFlagsOfGorbDockerLinkWork()
    {
        var (options, errors) = Parse("-i", "ens3", "-v");
        Assert.Empty(errors);
        Assert.Equal(("ens3", true), (options.Interface, options.Verbose));
    }

    [Fact]
    public void DurationsTakeUnits()
    {
        var (options, errors) = Parse("--drain-timeout", "500ms", "--resync-interval", "2m");
        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.DrainTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.ResyncInterval);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5s")]
    [InlineData("0")]
    public void BadDurationIsAnErrorNamingTheOption(string value)
    {
        var (_, errors) = Parse("--drain-timeout", value);
        Assert.True(errors.Any(e => e.Contains("--drain-timeout") && e.Contains(value)), string.Join(" | ", errors));
    }

    [Fact]
    public void EnvironmentVariablesSetOptionsAndFlagsWin()
    {
        Environment.SetEnvironmentVariable("GORBLINK_INTERFACE", "bond0");
        Environment.SetEnvironmentVariable("GORBLINK_DRY_RUN", "true");
        Environment.SetEnvironmentVariable("GORBLINK_DRAIN_TIMEOUT", "7s");
        Environment.SetEnvironmentVariable("GORBLINK_LOG_FORMAT", "json");
        try
        {
            var (fromEnv, errors) = Parse();
            Assert.Empty(errors);
            Assert.Equal(("bond0", true, TimeSpan.FromSeconds(7), LogFormat.Json),
                (fromEnv.Interface, fromEnv.DryRun, fromEnv.DrainTimeout, fromEnv.LogFormat));
            var (fromFlag, _) = Parse("-i", "eth1", "--drain-timeout", "1s");
            Assert.Equal(("eth1", TimeSpan.FromSeconds(1)), (fromFlag.Interface, fromFlag.DrainTimeout));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_INTERFACE", null);
            Environment.SetEnvironmentVariable("GORBLINK_DRY_RUN", null);
            Environment.SetEnvironmentVariable("GORBLINK_DRAIN_TIMEOUT", null);
            Environment.SetEnvironmentVariable("GORBLINK_LOG_FORMAT", null);
        }
    }

    [Fact]
    public void BadBooleanInEnvironmentIsAnError()
    {
        Environment.SetEnvironmentVariable("GORBLINK_CLEANUP_ON_EXIT", "maybe");
        try
        {
            var (_, errors) = Parse();
            Assert.True(errors.Any(e => e.Contains("GORBLINK_CLEANUP_ON_EXIT")), string.Join(" | ", errors));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_CLEANUP_ON_EXIT", null);
        }
    }
    [Fact]
    public void BadLogFormatInEnvironmentIsAnError()
    {
        Environment.SetEnvironmentVariable("GORBLINK_LOG_FORMAT", "yaml");
        try
        {
            var (_, errors) = Parse();
            Assert.True(errors.Any(e => e.Contains("GORBLINK_LOG_FORMAT=\"yaml\"") && e.Contains("text or json")), string.Join(" | ", errors));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_LOG_FORMAT", null);
        }
    }

    [Fact]
    public void RemotesRepeatOrComeCommaSeparatedFromTheEnvironment()
    {
        var (options, errors) = Parse("-r", "dir1:4672", "--remote", "https://dir2:4672", "--remote-token", "s3cret", "--local");
        Assert.Empty(errors);
        Assert.Equal(["dir1:4672", "https://dir2:4672"], options.Remotes);
        Assert.Equal(("s3cret", true), (options.RemoteToken, options.Local));

        Environment.SetEnvironmentVariable("GORBLINK_REMOTE", "dir1:4672, dir2:4672");
        try
        {
            var (fromEnv, envErrors) = Parse();
            Assert.Empty(envErrors);
            Assert.Equal(["dir1:4672", "dir2:4672"], fromEnv.Remotes);
            Assert.False(fromEnv.Local);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_REMOTE", null);
        }
    }

    [Theory]
    [InlineData(new[] { "--metrics-listen", ":9100" }, "--metrics-listen")]
    [InlineData(new[] { "--vip-interface", "gorb0" }, "--vip-interface")]
    [InlineData(new[] { "--set-sysctls" }, "--set-sysctls")]
    [InlineData(new string[0], null)]
    public void FlagsThatActOnThisHostsKernelAreNamedForRemoteModeWithoutLocal(string[] args, string? expected)
    {
        var (options, errors) = Parse(["-r", "dir1:4672", .. args]);
        Assert.Empty(errors);
        Assert.Equal(expected, GorbLink.Hosting.RemoteAgentHost.KernelOnlyFlag(options));
    }
}
