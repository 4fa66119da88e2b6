using System.Diagnostics;

namespace GorbLink.Tests.Cli;

/// <summary>The built gorblink as a process: preflight failures are one clear line and a telling exit code.</summary>
public class ProcessTests
{
    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "gorblink");
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void UnknownInterfaceExitsTwoNamingIt()
    {
        var (code, output) = Run("-i", "no-such-if0", "--state-dir", Path.GetTempPath());
        Assert.Equal(2, code);
        Assert.Contains("interface no-such-if0 not found", output);
    }

    [Fact]
    public void MissingIpvsExitsFourWithTheFix()
    {
        if (File.Exists("/proc/net/ip_vs")) Assert.Skip("this kernel has IPVS; the no-IPVS path is checked on kernels without it");
        var (code, output) = Run("-i", "lo", "--state-dir", Path.GetTempPath());
        Assert.Equal(4, code);
        Assert.Contains("modprobe ip_vs", output);
    }

    [Fact]
    public void DamagedOwnershipFileExitsTwoNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("gorblink-state").FullName;
        File.WriteAllText(Path.Combine(dir, "state.json"), "{ not json");
        var (code, output) = Run("-i", "lo", "--state-dir", dir);
        Assert.Equal(2, code);
        Assert.Contains(Path.Combine(dir, "state.json"), output);
    }

    [Fact]
    public void BadApplyFileExitsTwoBeforeTouchingTheKernel()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("gorblink-apply").FullName, "bad.json");
        File.WriteAllText(file, """{"services":[{"protocol":"tcp","address":"10.0.0.1","port":0}]}""");
        var (code, output) = Run("ipvs", "apply", file);
        Assert.Equal(2, code);
        Assert.Contains("services[0]", output);
        Assert.Contains("\"port\"", output);
    }

    [Fact]
    public void StatusWithoutARunningAgentSaysSo()
    {
        var (code, output) = Run("status", "--state-dir", Directory.CreateTempSubdirectory("gorblink-status").FullName);
        Assert.Equal(1, code);
        Assert.Contains("status.json", output);
    }
    [Fact]
    public void UnreachableDockerExitsThreeNamingTheEndpoint()
    {
        // A dry run goes on without IPVS (this machine may have none), so Docker is the first thing that fails.
        var dir = Directory.CreateTempSubdirectory("gorblink-nodocker").FullName;
        var (code, output) = Run("-i", "lo", "--dry-run", "--state-dir", dir, "--docker-host", $"unix://{dir}/no-docker.sock");
        Assert.Equal(3, code);
        Assert.Contains($"{dir}/no-docker.sock", output);
    }

    [Fact]
    public void RemoteModeRefusesKernelFlagsWithoutLocal()
    {
        var (code, output) = Run("-i", "lo", "-r", "127.0.0.1:1", "--vip-interface", "gorb0", "--state-dir", Directory.CreateTempSubdirectory("gorblink-remote").FullName);
        Assert.Equal(2, code);
        Assert.Contains("--vip-interface works on this host's kernel", output);
        Assert.Contains("--local", output);
    }
    [Fact]
    public void StatusShowsTheLocalViewAndEveryRemoteDaemonWithItsBreaker()
    {
        var dir = Directory.CreateTempSubdirectory("gorblink-status").FullName;
        var written = DateTimeOffset.Parse("2026-11-26T04:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Core.Status.StatusFile.Write(Path.Combine(dir, "status.json"), new Core.Status.AgentStatus
        {
            Written = written,
            AgentVersion = "1.0.0",
            LabelPrefix = "gorb",
            Passes = 7,
            Services =
            [
                new Core.Status.ServiceStatusEntry
                {
                    Service = "tcp 10.0.0.1:80", Name = "web", Protocol = "tcp", Address = "10.0.0.1", Port = 80, Family = "inet", Scheduler = "wrr", State = "in sync",
                    Destinations =
                    [
                        new Core.Status.DestinationStatusEntry
                        {
                            Address = "10.0.0.5", Port = 32768, Forward = "nat", Weight = 100, State = "serving",
                            Container = new Core.Status.ContainerStatusEntry { Id = "0123456789abcdef", Name = "web-1", Lifecycle = "running", Health = "healthy" },
                        },
                    ],
                },
            ],
        });
        Remote.Client.RemoteStatusFile.Write(Path.Combine(dir, Remote.Client.RemoteStatusFile.FileName), new Remote.Client.RemoteStatusDocument
        {
            Written = written,
            DesiredRevision = 4,
            DesiredServices = 1,
            DesiredBackends = 1,
            Daemons =
            [
                new Remote.Client.RemoteDaemonStatus { Daemon = "dir1:4672", Url = "http://dir1:4672/", Reachable = true, InSync = true, Counters = new() { AppliedRevision = 4 }, Services = 1, Backends = 1 },
                new Remote.Client.RemoteDaemonStatus
                {
                    Daemon = "dir2:4672", Url = "http://dir2:4672/", Breaker = "open", Reachable = false,
                    Counters = new() { ConsecutiveFailures = 3, FailedPasses = 3, Passes = 3, LastError = "connection refused", LastErrorAt = written },
                },
            ],
        });

        var (code, text) = Run("status", "--state-dir", dir);
        Assert.Equal(0, code);
        Assert.Contains("tcp 10.0.0.1:80 wrr [web] in sync", text);
        Assert.Contains("web-1 (0123456789ab) running, health healthy", text);
        Assert.Contains("dir1:4672 (http://dir1:4672/): in sync, circuit closed; applied revision 4", text);
        Assert.Contains("dir2:4672 (http://dir2:4672/): unreachable, circuit open", text);
        Assert.Contains("3 failed, 3 in a row", text);
        Assert.Contains("last error (2026-11-26 04:00:00Z): connection refused", text);

        var (jsonCode, json) = Run("status", "--state-dir", dir, "--json");
        Assert.Equal(0, jsonCode);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(7, document.RootElement.GetProperty("local").GetProperty("passes").GetInt64());
        Assert.Equal("open", document.RootElement.GetProperty("remote").GetProperty("daemons")[1].GetProperty("breaker").GetString());
    }
}
