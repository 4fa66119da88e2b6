using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GorbLink.Image.Tests;

/// <summary>
/// The files in deploy/ as their tools read them: docker-compose resolves the compose file (anchors, profiles, volumes),
/// systemd-analyze verifies the unit, and both say what the README promises (host network, NET_ADMIN only, a read-only
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
        new[] { "/usr/bin", "/usr/local/bin", "/bin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
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
