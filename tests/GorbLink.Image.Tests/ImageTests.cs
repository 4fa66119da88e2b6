using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace GorbLink.Image.Tests;

/// <summary>
/// The gorblink image as an operator runs it: --net=host, NET_ADMIN only, docker.sock read-only, --read-only root with
/// a state volume. This machine's kernel has no IPVS, so the agent runs with --dry-run and the test reads, in its JSON
/// log, the changes it would make for a labelled container (with IPVS, tests/vm runs the agent for real).
/// </summary>
public sealed class ImageTests : IDisposable
{
    private const string Image = "gorblink:test";
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly ITestOutputHelper _output = TestContext.Current.TestOutputHelper!;

    private string Agent => $"gorblink-image-test-{_suffix}";
    private string Web => $"gorblink-image-web-{_suffix}";
    private string Volume => $"gorblink-image-state-{_suffix}";
    private string Prefix => $"gorbimg{_suffix}";

    private static string Repo([CallerFilePath] string source = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "../.."));

    public void Dispose()
    {
        Run("docker", "rm", "-f", Agent, Web);
        Run("docker", "volume", "rm", "-f", Volume);
    }

    private static (int ExitCode, string Output) Run(string file, params string[] arguments) => Run(file, TimeSpan.FromMinutes(2), arguments);

    private static (int ExitCode, string Output) Run(string file, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo() };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', arguments)} did not finish within {timeout}");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    private (int ExitCode, string Output) Must(string file, params string[] arguments)
    {
        var result = Run(file, arguments);
        if (result.ExitCode != 0) Assert.Fail($"{file} {string.Join(' ', arguments)} exited {result.ExitCode}:\n{result.Output}");
        return result;
    }

    [Fact]
    public void TheImageRunsConfinedAndRegistersALabelledContainer()
    {
        if (Run("docker", "info").ExitCode != 0) Assert.Skip("no Docker Engine here (docker info failed)");
        if (Run("docker", "image", "inspect", "gorblink-test:latest").ExitCode != 0) Assert.Skip("no gorblink-test:latest image: run tests/setup");

        // Build: NativeAOT with zero warnings, local bases, no registry.
        var build = Run(Path.Combine(Repo(), "tests/image/build-agent"), TimeSpan.FromMinutes(20), Image);
        _output.WriteLine(build.Output);
        Assert.True(build.ExitCode == 0, $"tests/image/build-agent failed:\n{build.Output}");
        Assert.Contains("publish: 0 warnings", build.Output, StringComparison.Ordinal);

        var device = Directory.Exists("/sys/class/net/docker0") ? "docker0" : "lo";
        Must("docker", "run", "-d", "--name", Agent, "--net=host", "--cap-drop=ALL", "--cap-add=NET_ADMIN",
            "-v", "/var/run/docker.sock:/var/run/docker.sock:ro", "--read-only", "-v", $"{Volume}:/var/lib/gorblink",
            Image, "run", "-i", device, "--dry-run", "--log-format", "json", "--label-prefix", Prefix);
        var web = Must("docker", "run", "-d", "--name", Web, "-l", $"{Prefix}.enable=true", "-l", $"{Prefix}.service=web", "-p", "80",
            "gorblink-test:latest", "sh", "-c", "mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 80 -h /www").Output.Trim();
        var hostPort = Must("docker", "port", Web, "80/tcp").Output.Split('\n')[0].Split(':')[^1].Trim();

        // The agent registers the container: in a dry run, the destination it would add, with the container's name.
        var deadline = Stopwatch.StartNew();
        List<JsonElement> events;
        while (true)
        {
            events = Logs();
            if (events.Any(e => Id(e) == 3002 && Message(e).Contains($":{hostPort} of service tcp ", StringComparison.Ordinal))) break;
            if (Run("docker", "inspect", "-f", "{{.State.Running}}", Agent).Output.Trim() != "true")
                Assert.Fail($"the agent container stopped:\n{Run("docker", "logs", Agent).Output}");
            if (deadline.Elapsed > TimeSpan.FromMinutes(1)) Assert.Fail($"no would-apply line for {Web} within a minute:\n{Run("docker", "logs", Agent).Output}");
            Thread.Sleep(250);
        }
        var destination = events.First(e => Id(e) == 3002 && Message(e).Contains($":{hostPort} of service tcp ", StringComparison.Ordinal));
        Assert.Contains($"for container {Web} ({web[..12]})", Message(destination), StringComparison.Ordinal);
        Assert.Contains(events, e => Id(e) == 3002 && Message(e).Contains("+ service tcp ", StringComparison.Ordinal) && Message(e).Contains(":80 (wrr)", StringComparison.Ordinal));
        Assert.Contains(events, e => Id(e) == 1001); // first reconcile done

        // Confined as documented: read-only root, NET_ADMIN only, the socket read-only.
        var config = Must("docker", "inspect", "-f", "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{.HostConfig.NetworkMode}}", Agent).Output.Trim();
        Assert.Matches(@"^true \[(CAP_)?NET_ADMIN\] \[(CAP_)?ALL\] host$", config);

        Must("docker", "stop", "-t", "30", Agent);
        Assert.Equal("0", Must("docker", "inspect", "-f", "{{.State.ExitCode}}", Agent).Output.Trim());
    }

    private List<JsonElement> Logs() =>
    [
        .. Run("docker", "logs", Agent).Output.Split('\n')
            .Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()),
    ];

    private static int Id(JsonElement e) => e.GetProperty("eventId").GetInt32();

    private static string Message(JsonElement e) => e.GetProperty("msg").GetString() ?? "";
}
