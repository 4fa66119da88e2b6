using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace GorbLink.Image.Tests;

/// <summary>
/// The README's first command, deploy/run, on a Docker host that has no gorblink image yet: it builds the image, then
/// starts the agent as documented. The build is the registry-free one (GORBLINK_BUILD=tests/image/build-agent), since
/// no registry is reachable here; this kernel has no IPVS, so the agent runs with --dry-run.
/// </summary>
public sealed class DeployRunTests : IDisposable
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private string Image => $"gorblink:deploy-{_suffix}";
    private string Name => $"gorblink-deploy-{_suffix}";
    private string Volume => $"gorblink-deploy-{_suffix}";

    private static string Repo([CallerFilePath] string source = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "../.."));

    public void Dispose()
    {
        Run("docker", [], "rm", "-f", Name);
        Run("docker", [], "volume", "rm", "-f", Volume);
        Run("docker", [], "image", "rm", "-f", Image);
    }

    private (int ExitCode, string Output) Run(string file, Dictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo() };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(20)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} did not finish within 20 minutes");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void BuildsTheImageWhenMissingThenRunsTheAgentAsDocumentedAndReplacesItOnASecondRun()
    {
        if (Run("docker", [], "info").ExitCode != 0) Assert.Skip("no Docker Engine here (docker info failed)");
        Assert.NotEqual(0, Run("docker", [], "image", "inspect", Image).ExitCode);
        var environment = new Dictionary<string, string>
        {
            ["GORBLINK_IMAGE"] = Image,
            ["GORBLINK_NAME"] = Name,
            ["GORBLINK_VOLUME"] = Volume,
            ["GORBLINK_BUILD"] = "tests/image/build-agent",
        };
        var device = Directory.Exists("/sys/class/net/docker0") ? "docker0" : "lo";

        var first = Run(Path.Combine(Repo(), "deploy/run"), environment, "-i", device, "--dry-run");
        TestContext.Current.TestOutputHelper?.WriteLine(first.Output);
        Assert.True(first.ExitCode == 0, $"deploy/run failed:\n{first.Output}");
        Assert.Contains($"building {Image}", first.Output, StringComparison.Ordinal);
        Assert.Contains($"running as container {Name}", first.Output, StringComparison.Ordinal);
        var config = Run("docker", [], "inspect", "-f",
            "{{.State.Running}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{.HostConfig.NetworkMode}} {{range .Mounts}}{{.Destination}}:{{.RW}} {{end}}", Name).Output.Trim();
        Assert.Matches(@"^true true \[(CAP_)?NET_ADMIN\] \[(CAP_)?ALL\] host ", config);
        Assert.Contains("/var/run/docker.sock:false", config, StringComparison.Ordinal);
        Assert.Contains("/var/lib/gorblink:true", config, StringComparison.Ordinal);

        var firstId = Run("docker", [], "inspect", "-f", "{{.Id}}", Name).Output.Trim();
        var second = Run(Path.Combine(Repo(), "deploy/run"), environment, "-i", device, "--dry-run");
        Assert.True(second.ExitCode == 0, $"second deploy/run failed:\n{second.Output}");
        Assert.DoesNotContain("building", second.Output, StringComparison.Ordinal);
        Assert.Contains($"replacing the container {Name}", second.Output, StringComparison.Ordinal);
        Assert.NotEqual(firstId, Run("docker", [], "inspect", "-f", "{{.Id}}", Name).Output.Trim());
    }

    [Fact]
    public void AnAgentThatStopsAtOnceIsReportedWithItsLogAndAFailure()
    {
        if (Run("docker", [], "info").ExitCode != 0) Assert.Skip("no Docker Engine here (docker info failed)");
        var environment = new Dictionary<string, string>
        {
            ["GORBLINK_IMAGE"] = Image,
            ["GORBLINK_NAME"] = Name,
            ["GORBLINK_VOLUME"] = Volume,
            ["GORBLINK_BUILD"] = "tests/image/build-agent",
        };
        var result = Run(Path.Combine(Repo(), "deploy/run"), environment, "-i", "no-such-interface0", "--dry-run");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("the agent stopped (exit", result.Output, StringComparison.Ordinal);
        Assert.Contains("no-such-interface0", result.Output, StringComparison.Ordinal);
    }
}
