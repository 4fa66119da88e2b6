using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GorbLink.Image.Tests;

/// <summary>
/// The files in deploy/ as their tools read them: docker-compose resolves the compose file (anchors, profiles, volumes),
/// systemd-analyze verifies the unit, keepalived -t checks the HA pair's configuration, and both say what the README promises (host network, NET_ADMIN only, a read-only
/// docker.sock, a state volume or directory, a restart policy).
/// </summary>
public sealed class DeployFilesTests
{
    private static string Repo([CallerFilePath] string source = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "../.."));

    private static (int ExitCode, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo() };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    private static string Tool(string name) =>
        new[] { "/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin", "/sbin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not installed: tests/setup installs it");

    [Fact]
    public void TheComposeFileResolvesWithTheAgentAndTheDirector()
    {
        var (code, config) = Run(Tool("docker-compose"), "-f", "deploy/docker-compose.yml", "--profile", "director", "config");
        Assert.True(code == 0, config);
        var agent = Section(config, "  agent:");
        Assert.Contains("network_mode: host", agent, StringComparison.Ordinal);
        Assert.Contains("- NET_ADMIN", agent, StringComparison.Ordinal);
        Assert.Contains("- ALL", agent, StringComparison.Ordinal); // cap_drop
        Assert.Contains("read_only: true", agent, StringComparison.Ordinal);
        Assert.Contains("/var/run/docker.sock:/var/run/docker.sock:ro", agent, StringComparison.Ordinal);
        Assert.Contains("/var/lib/gorblink", agent, StringComparison.Ordinal);
        Assert.Contains("restart: unless-stopped", agent, StringComparison.Ordinal);
        var director = Section(config, "  director:");
        Assert.Contains("- serve", director, StringComparison.Ordinal);
        Assert.Contains("network_mode: host", director, StringComparison.Ordinal);
        Assert.DoesNotContain("docker.sock", director, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSystemdUnitVerifiesAndHoldsOnlyNetAdmin()
    {
        var unit = File.ReadAllText(Path.Combine(Repo(), "deploy/systemd/gorblink.service"));
        Assert.Contains("CapabilityBoundingSet=CAP_NET_ADMIN\n", unit, StringComparison.Ordinal);
        Assert.Contains("Restart=on-failure\n", unit, StringComparison.Ordinal);
        Assert.Contains("StateDirectory=gorblink\n", unit, StringComparison.Ordinal);
        // systemd-analyze also checks that ExecStart exists: point it at the built binary.
        var gorblink = Path.Combine(Repo(), "src/GorbLink/bin/Debug/net10.0/gorblink");
        Assert.True(File.Exists(gorblink), $"{gorblink} is not built");
        var directory = Directory.CreateTempSubdirectory("gorblink-unit").FullName;
        try
        {
            var copy = Path.Combine(directory, "gorblink.service");
            File.WriteAllText(copy, unit.Replace("/usr/local/bin/gorblink", gorblink, StringComparison.Ordinal));
            var (code, output) = Run(Tool("systemd-analyze"), "verify", copy);
            Assert.True(code == 0 && output.Trim().Length == 0, $"systemd-analyze verify: exit {code}\n{output}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void TheSampleConfigurationNamesOnlyRealVariables()
    {
        var lines = File.ReadAllLines(Path.Combine(Repo(), "deploy/gorblink.env"))
            .Select(l => l.TrimStart('#', ' '))
            .Where(l => l.StartsWith("GORBLINK_", StringComparison.Ordinal))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)])
            .ToList();
        Assert.NotEmpty(lines);
        var help = Run(Path.Combine(Repo(), "src/GorbLink/bin/Debug/net10.0/gorblink"), "run", "--help").Output;
        foreach (var variable in lines)
        {
            var flag = "--" + variable["GORBLINK_".Length..].ToLowerInvariant().Replace('_', '-');
            Assert.True(help.Contains(flag, StringComparison.Ordinal), $"deploy/gorblink.env: {variable} is no flag of gorblink run ({flag})");
        }
    }

    [Theory]
    [InlineData("director-a", "150")]
    [InlineData("director-b", "100")]
    public void TheKeepalivedConfigurationPassesKeepalivedsOwnTestForEachDirector(string configId, string priority)
    {
        // keepalived -t refuses a configuration naming interfaces that do not exist, so the test runs in a network
        // namespace of its own (unshare -n) holding the two the file names: eth0 (outside) and eth1 (inside).
        var file = Path.Combine(Repo(), "deploy/ha/keepalived.conf");
        var script = "ip link add eth0 type veth peer name eth1 && exec \"$0\" -t -i \"$1\" -f \"$2\"";
        var (code, output) = Run(Tool("unshare"), "-n", "sh", "-c", script, Tool("keepalived"), configId, file);
        Assert.True(code == 0, $"keepalived -t -i {configId} -f deploy/ha/keepalived.conf: exit {code}\n{output}");

        // What deploy/ha/README.md promises of it: both start as BACKUP with nopreempt, the VIP and the real servers'
        // gateway move in one instance, and keepalived leaves IPVS alone (the agents and the sync daemons own it).
        var config = File.ReadAllText(file);
        var lines = config.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Contains("state BACKUP", lines);
        Assert.Contains("nopreempt", lines);
        Assert.Contains($"@{configId} priority {priority}", lines);
        Assert.Contains("10.71.0.100/32 dev eth0", lines);
        Assert.Contains("10.72.0.1/32 dev eth1", lines);
        Assert.Single(lines, l => l.StartsWith("vrrp_instance ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("virtual_server", StringComparison.Ordinal) || l.StartsWith("lvs_sync_daemon", StringComparison.Ordinal) || l == "vrrp_strict");
    }

    [Fact]
    public void TheKeepalivedTestRejectsABrokenConfiguration()
    {
        // The test above must be able to fail: the same call on a file with an unknown keyword and an open brace.
        var directory = Directory.CreateTempSubdirectory("gorblink-keepalived").FullName;
        try
        {
            var broken = Path.Combine(directory, "keepalived.conf");
            File.WriteAllText(broken, File.ReadAllText(Path.Combine(Repo(), "deploy/ha/keepalived.conf")) + "\nvrrp_instanse broken {\n");
            var script = "ip link add eth0 type veth peer name eth1 && exec \"$0\" -t -i director-a -f \"$1\"";
            var (code, output) = Run(Tool("unshare"), "-n", "sh", "-c", script, Tool("keepalived"), broken);
            Assert.True(code != 0, $"keepalived -t accepted a broken file:\n{output}");
            Assert.Contains("vrrp_instanse", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The lines of one service in `docker-compose config` output, from its key to the next key at its depth.</summary>
    private static string Section(string config, string header)
    {
        var lines = config.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == header);
        Assert.True(start >= 0, $"no {header.Trim()} in:\n{config}");
        var end = Array.FindIndex(lines, start + 1, l => l.Length > 2 && l[2] != ' ' && l.StartsWith("  ", StringComparison.Ordinal) || (l.Length > 0 && l[0] != ' '));
        return string.Join('\n', lines[start..(end < 0 ? lines.Length : end)]);
    }
}
