using System.Globalization;
using System.Text.RegularExpressions;

namespace GorbLink.EndToEnd;

/// <summary>
/// Issue 14 in the VM: the HA drill of deploy/ha. Two directors (serve, which starts the IPVS sync daemons in both roles, keepalived)
/// and two Docker hosts (each its own dockerd and agent), network namespaces on two bridges, traffic from a client
/// namespace. One implementation: this runs deploy/cluster/run, the script a person runs, and asserts on every check it
/// prints and on the figures it ends with. The script starts and removes everything it uses (its namespaces, dockerds
/// and bridges), so the VM's own dockerd and the other scenarios are not touched.
/// </summary>
public sealed partial class ClusterDrillTests
{
    private const int Connections = 24;

    /// <summary>The checks deploy/cluster/run makes, by the names it prints them with.</summary>
    private static readonly string[] Checks =
    [
        "sync-daemons", "both-hosts", "same-table", "synced", "failover", "connections-kept", "served-by-backup",
        "refilled", "nopreempt", "stopped-gone", "agent-dead-serving", "agent-converged",
    ];

    [Fact]
    public void TheDrillPassesEveryCheckAndReportsItsFigures()
    {
        Vm.RequireIpvs();
        Assert.True(File.Exists("/usr/sbin/keepalived"), "keepalived is not installed: tests/setup installs it");

        var result = Vm.Run(Path.Combine(Vm.Repo, "deploy/cluster/run"), "--in-vm", "--connections", Connections.ToString(CultureInfo.InvariantCulture));
        var output = result.Output;
        Console.WriteLine(output);

        foreach (var check in Checks)
            Assert.True(output.Contains($"  PASS {check}: ", StringComparison.Ordinal), $"check {check} did not pass:\n{result}");
        var summary = Summary().Match(output);
        Assert.True(summary.Success, $"no summary line:\n{result}");
        Assert.Equal(Checks.Length.ToString(CultureInfo.InvariantCulture), summary.Groups["total"].Value);
        Assert.Equal(summary.Groups["total"].Value, summary.Groups["passed"].Value);
        Assert.True(result.ExitCode == 0, result.ToString());

        // The figures: a failover time in seconds, every long-lived connection kept, a refill time in seconds.
        Assert.Matches(@"(?m)^failover: \d+\.\d s from the kill until new connections were served$", output);
        Assert.Contains($"\nconnections kept: {Connections} of {Connections}\n", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^refill: \d+\.\d s to refill a restarted director ", output);
    }

    [GeneratedRegex(@"(?m)^cluster: (?<passed>\d+)/(?<total>\d+) checks passed$")]
    private static partial Regex Summary();
}
