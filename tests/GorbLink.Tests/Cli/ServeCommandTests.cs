using System.CommandLine;
using GorbLink.Cli;

namespace GorbLink.Tests.Cli;

/// <summary>`gorblink serve` options: GORB's flags, and GORBLINK_* variables read the same way as `gorblink run`'s.</summary>
[Collection(nameof(EnvironmentCollection))]
public class ServeCommandTests
{
    private static ParseResult Parse(params string[] args)
    {
        var root = new RootCommand { ServeCommand.Build() };
        return root.Parse(["serve", .. args]);
    }

    [Fact]
    public void DefaultsAreGorbs()
    {
        var parse = Parse();
        Assert.Empty(parse.Errors);
        Assert.Equal((":4672", "eth0", false, 32), (parse.GetValue<string>("--listen"), parse.GetValue<string>("--interface"),
            parse.GetValue<bool>("--flush"), parse.GetValue<int>("--max-concurrent-checks")));
    }

    [Fact]
    public void EveryOptionComesFromTheEnvironmentTooAndBadValuesAreNamed()
    {
        Environment.SetEnvironmentVariable("GORBLINK_FLUSH", "true");
        Environment.SetEnvironmentVariable("GORBLINK_VERBOSE", "1");
        Environment.SetEnvironmentVariable("GORBLINK_LOG_FORMAT", "json");
        try
        {
            var parse = Parse();
            Assert.Empty(parse.Errors);
            Assert.Equal((true, true, LogFormat.Json), (parse.GetValue<bool>("--flush"), parse.GetValue<bool>("--verbose"), parse.GetValue<LogFormat>("--log-format")));

            Environment.SetEnvironmentVariable("GORBLINK_FLUSH", "perhaps");
            Environment.SetEnvironmentVariable("GORBLINK_MAX_CONCURRENT_CHECKS", "many");
            var errors = Parse().Errors.Select(e => e.Message).ToList();
            Assert.Contains(errors, e => e.Contains("GORBLINK_FLUSH=\"perhaps\"", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.Contains("GORBLINK_MAX_CONCURRENT_CHECKS=\"many\"", StringComparison.Ordinal));
            Assert.Contains(Parse("--max-concurrent-checks", "0").Errors, e => e.Message == "--max-concurrent-checks must be at least 1");
        }
        finally
        {
            foreach (var name in new[] { "FLUSH", "VERBOSE", "LOG_FORMAT", "MAX_CONCURRENT_CHECKS" })
                Environment.SetEnvironmentVariable("GORBLINK_" + name, null);
        }
    }
}
