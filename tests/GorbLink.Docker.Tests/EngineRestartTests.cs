using System.Diagnostics;
using Docker.DotNet.Models;
using GorbLink.Core.Containers;
using GorbLink.Docker.Tests.Support;
using static GorbLink.Docker.Tests.Support.ScenarioService;
using Microsoft.Extensions.Time.Testing;

namespace GorbLink.Docker.Tests;

[Collection(EngineCollection.Name)]
public sealed class EngineRestartTests(DockerEnvironment env)
{
    private const string PidFile = "/var/run/docker.pid";
    private const string StartCommand = "nohup dockerd >/var/log/gorblink-dockerd.log 2>&1 &";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EngineRestartMidStreamReconnectsRelistsAndTheDesiredStateMatchesWhatRunsAfterwards()
    {
        env.RequireDocker();
        var pid = File.Exists(PidFile) && int.TryParse((await File.ReadAllTextAsync(PidFile, Ct)).Trim(), out var p) ? p : 0;
        if (pid <= 0)
            Assert.Skip($"Engine restart test skipped: no dockerd pid in {PidFile} (the engine was not started by tests/setup).");
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            Assert.Skip("Engine restart test skipped: restarting dockerd needs root on Linux.");

        var output = TestContext.Current.TestOutputHelper;
        var web = new ScenarioService(env, "engine");
        // "always" comes back when the engine starts again; "no" stays down (the engine stops both on shutdown).
        await using var survivor = web.Container("survivor")
            .WithCreateParameterModifier(p => (p.HostConfig ??= new HostConfig()).RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.Always })
            .Build();
        await survivor.StartAsync(Ct);
        await using var casualty = web.Container("casualty").Build();
        await casualty.StartAsync(Ct);

        await using var watcher = await WatcherHarness.StartAsync(env);
        await watcher.WaitForLifecycleAsync(survivor.Id, ContainerLifecycle.Running);
        await watcher.WaitForLifecycleAsync(casualty.Id, ContainerLifecycle.Running);
        await web.WaitForBackendsAsync(watcher, "both destinations before the restart", Backend(Published(survivor)), Backend(Published(casualty)));
        Assert.Equal(0, watcher.Watcher.Status.ReconnectCount);

        var stopwatch = Stopwatch.StartNew();
        try
        {
            output?.WriteLine($"stopping dockerd (pid {pid}) with SIGTERM");
            await RunAsync("kill", "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var deadline = DateTime.UtcNow.AddSeconds(40);
            while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline) await Task.Delay(100, Ct);
            Assert.False(Directory.Exists($"/proc/{pid}"), "dockerd did not exit within 40 s");
            output?.WriteLine($"dockerd exited after {stopwatch.Elapsed.TotalSeconds:0.0} s");
            await watcher.WaitUntilAsync(() => !watcher.Watcher.Status.Connected, "the watcher to notice the engine is gone");
        }
        finally
        {
            await StartDockerdAsync();
            output?.WriteLine($"dockerd answering again after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        }

        await watcher.WaitUntilAsync(() => watcher.Watcher.Status is { Connected: true, ReconnectCount: >= 1 }, "the watcher to reconnect",
            TimeSpan.FromSeconds(45));
        output?.WriteLine($"watcher reconnected after {stopwatch.Elapsed.TotalSeconds:0.0} s; status {watcher.Watcher.Status}");

        // The store matches reality after the relist.
        var survivorRecord = await watcher.WaitForAsync(survivor.Id, r => r is { Lifecycle: ContainerLifecycle.Running, PublishedPorts.Length: > 0 },
            "survivor running with its port again", TimeSpan.FromSeconds(30));
        await watcher.WaitForLifecycleAsync(casualty.Id, ContainerLifecycle.Exited);
        var inspect = (await env.Connection.Client.InspectContainerAsync(survivor.Id, Ct))!;
        var inspectCasualty = (await env.Connection.Client.InspectContainerAsync(casualty.Id, Ct))!;
        Assert.Equal(ContainerMapper.Map(inspect), watcher.Get(survivor.Id));
        Assert.Equal(inspect.NetworkSettings!.Networks!["bridge"]!.IPAddress, survivorRecord!.Networks.Single().IPv4Address?.ToString());
        Assert.Equal(watcher.Watcher.Status.EngineVersion, env.Connection.EngineVersion);
        Assert.NotNull(watcher.Watcher.Status.LastError);

        // And so does the desired state: the survivor on the port the restarted engine gave it, the casualty gone.
        var port = inspect.NetworkSettings.Ports!["8080/tcp"]!.First(b => b.HostIp is "0.0.0.0" or "").HostPort!;
        var desired = await web.WaitForBackendsAsync(watcher, "only the survivor after the restart",
            Backend(Published(ushort.Parse(port, System.Globalization.CultureInfo.InvariantCulture))));
        var fromEngine = Desired([ContainerMapper.Map(inspect), ContainerMapper.Map(inspectCasualty)]);
        Assert.Equal(fromEngine.Find(web.Key)!.Destinations, desired.Find(web.Key)!.Destinations);
        Assert.Equal(fromEngine.Find(web.Key)!.Service, desired.Find(web.Key)!.Service);
        Assert.Equal(survivor.Id, desired.OwnerOf(web.Key, desired.Find(web.Key)!.Destinations.Single().Key)!.ContainerId);
    }

    private static async Task StartDockerdAsync()
    {
        if (!await DockerAnswersAsync())
        {
            // The same command tests/setup uses; setsid detaches it from this test process.
            await RunAsync("setsid", "bash", "-c", StartCommand);
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await DockerAnswersAsync()) return;
            await Task.Delay(250);
        }

        Assert.Fail("dockerd did not come back within 60 s; see /var/log/gorblink-dockerd.log");
    }

    private static async Task<bool> DockerAnswersAsync() => await RunAsync("docker", "info") == 0;

    private static async Task<int> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await Task.WhenAll(stdout, stderr);
        return process.ExitCode;
    }
}
