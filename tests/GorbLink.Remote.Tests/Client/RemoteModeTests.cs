using System.Net;
using System.Text;
using System.Text.Json;
using GorbLink.Core.Containers;
using GorbLink.Remote.Client;
using GorbLink.Remote.Tests.Support;
using static GorbLink.Remote.Tests.Support.AgentRig;

namespace GorbLink.Remote.Tests.Client;

/// <summary>
/// The agent in remote mode (container store → desired state → one sink per daemon) against `gorblink serve` over
/// loopback HTTP, with the daemon's kernel in memory: create, update, remove; daemons stopped, restarted and losing
/// their state; the agent restarted; two daemons with one down; the circuit breaker.
/// </summary>
public sealed class RemoteModeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Web = "tcp 10.1.0.1:80 wrr";

    private static string Table(params string[] lines) => string.Join("\n", lines);

    private static string Dest(ushort port, int weight = 100) => $"  10.0.0.5:{port} w={weight} Nat a=0 i=0";

    private static Task KernelIsAsync(TestDaemon daemon, string expected, string what, AgentRig? rig = null) =>
        Eventually.TrueAsync(() => daemon.Kernel.Dump() == expected, what,
            explain: () => $"kernel of {daemon.Endpoint}:\n{daemon.Kernel.Dump()}\nexpected:\n{expected}\nagent log:\n{rig?.Logs.Text}");

    private static async Task<string[]> ListAsync(TestDaemon daemon) =>
        JsonSerializer.Deserialize<string[]>(await daemon.Http.GetStringAsync("/service", Ct)) ?? [];

    private static async Task SendAsync(TestDaemon daemon, HttpMethod method, string path, string body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await daemon.Http.SendAsync(request, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    [Fact]
    public async Task CreatesUpdatesAndRemovesWithGorbDockerLinkIds()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768));
        rig.Start();

        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "web-1 registered", rig);
        Assert.Equal(["web-80-tcp"], await ListAsync(daemon));
        using (var service = JsonDocument.Parse(await daemon.Http.GetStringAsync("/service/web-80-tcp", Ct)))
        {
            Assert.Equal(["web-1-32768-tcp"], service.RootElement.GetProperty("backends").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("", service.RootElement.GetProperty("options").GetProperty("host").GetString()); // the daemon's default address
        }

        rig.Set(Container("web-2", 32769));
        await KernelIsAsync(daemon, Table(Web, Dest(32768), Dest(32769)), "web-2 added", rig);

        rig.Set(Container("web-1", 32768, weight: 50));
        await KernelIsAsync(daemon, Table(Web, Dest(32768, 50), Dest(32769)), "web-1 re-weighted by PATCH", rig);

        rig.Set(Container("web-2", 32769, lifecycle: ContainerLifecycle.Stopping));
        await KernelIsAsync(daemon, Table(Web, Dest(32768, 50), Dest(32769, 0)), "web-2 drained to weight 0", rig);

        rig.Remove("web-2");
        await KernelIsAsync(daemon, Table(Web, Dest(32768, 50)), "web-2's backend deleted", rig);

        rig.Set(Container("dns-1", 5353, service: "dns", port: 53, protocol: "udp"));
        await KernelIsAsync(daemon, Table("udp 10.1.0.1:53 wrr", Dest(5353), Web, Dest(32768, 50)), "a udp service", rig);
        using (var backend = JsonDocument.Parse(await daemon.Http.GetStringAsync("/service/dns-53-udp/dns-1-5353-udp", Ct)))
            Assert.Equal("none", backend.RootElement.GetProperty("options").GetProperty("pulse").GetProperty("type").GetString());

        rig.Remove("web-1").Remove("dns-1");
        await KernelIsAsync(daemon, "", "services with no backends left are deleted", rig);
        Assert.Empty(await ListAsync(daemon));
        await Eventually.TrueAsync(() => rig.Daemon(daemon).Status is { InSync: true, Reachable: true, OwnedServices: 0, OwnedBackends: 0 }, "in sync, owning nothing");
        var ownership = Path.Combine(rig.StateDirectory, RemoteEndpoint.Parse(daemon.Endpoint).FileName);
        Assert.True(File.Exists(ownership), ownership);
    }

    [Fact]
    public async Task AnExplicitVipIsSentAsTheHost()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("api-1", 40000, service: "team/api", port: 8080, vip: "10.1.0.9", scheduler: "rr"));
        rig.Start();

        await KernelIsAsync(daemon, Table("tcp 10.1.0.9:8080 rr", Dest(40000)), "the service on its label's VIP", rig);
        Assert.Equal(["team-api-8080-tcp"], await ListAsync(daemon));
    }

    [Fact]
    public async Task ChangesMadeWhileTheDaemonIsStoppedConvergeWhenItIsBack()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768));
        rig.Start();
        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "web-1 registered", rig);

        await daemon.StopAsync();
        await Eventually.TrueAsync(() => rig.Daemon(daemon).Status.Reachable == false, "the agent notices the daemon is gone");
        rig.Set(Container("web-2", 32769), Container("web-3", 32770));
        rig.Remove("web-1");
        rig.Set(Container("web-3", 32770, weight: 7));
        await Eventually.TrueAsync(() => rig.Daemon(daemon).Status.Counters.ConsecutiveFailures >= 2, "passes keep failing while it is down");

        await daemon.StartAsync();

        await KernelIsAsync(daemon, Table(Web, Dest(32769), Dest(32770, 7)), "the accumulated changes applied", rig);
        await Eventually.TrueAsync(() => rig.Daemon(daemon).Status is { Reachable: true, InSync: true }, "in sync again");
        // The runner logs the recovery once the pass has returned, just after the pass recorded the status.
        await Eventually.TrueAsync(() => rig.Logs.Contains("answering again"), "the recovery logged", explain: () => rig.Logs.Text);
    }

    [Fact]
    public async Task ADaemonThatLostItsStateGetsEverythingBack()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768), Container("web-2", 32769));
        rig.Start();
        await KernelIsAsync(daemon, Table(Web, Dest(32768), Dest(32769)), "registered", rig);

        await daemon.RestartAsync(freshKernelAndState: true); // a rebooted director, or a GORB that keeps nothing

        await KernelIsAsync(daemon, Table(Web, Dest(32768), Dest(32769)), "re-created without any container change", rig);
        Assert.True(rig.Logs.Contains("no longer on the daemon"), rig.Logs.Text);
    }

    [Fact]
    public async Task ARestartedAgentDeletesWhatWentAwayMeanwhileAndLeavesOtherClientsBackends()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768), Container("web-2", 32769));
        rig.Start();
        await KernelIsAsync(daemon, Table(Web, Dest(32768), Dest(32769)), "registered", rig);
        // Another Docker host feeds the same service.
        await SendAsync(daemon, HttpMethod.Put, "/service/web-80-tcp/web-9-32768-tcp", """{"host":"10.0.0.7","port":32768}""");

        await rig.StopAsync();
        rig.Remove("web-2").Set(Container("web-3", 32770));
        rig.Start();

        var expected = Table(Web, Dest(32768), Dest(32770), "  10.0.0.7:32768 w=100 Nat a=0 i=0");
        await KernelIsAsync(daemon, expected, "web-2 deleted, web-3 added, the other host's backend kept", rig);

        rig.Remove("web-1").Remove("web-3");
        await KernelIsAsync(daemon, Table(Web, "  10.0.0.7:32768 w=100 Nat a=0 i=0"), "only the other host's backend left", rig);
        await Eventually.TrueAsync(() => rig.Daemon(daemon).Status.Refused.Any(r => r.Contains("still holds backends of other clients", StringComparison.Ordinal)),
            "the service is kept, and the status says why");
    }

    [Fact]
    public async Task TwoDaemonsWithOneDownTheUpOneConvergesAndTheDownOneWhenItComesUp()
    {
        await using var up = await TestDaemon.CreateAsync();
        await using var down = await TestDaemon.CreateAsync(start: false);
        await using var rig = new AgentRig([up.Endpoint, down.Endpoint]);
        rig.Set(Container("web-1", 32768));
        rig.Start();

        await KernelIsAsync(up, Table(Web, Dest(32768)), "the daemon that is up converges", rig);
        await Eventually.TrueAsync(() => rig.Daemon(down).Status is { Reachable: false, Breaker: "open" },
            "the down daemon's circuit breaker opens", explain: () => $"{rig.Daemon(down).Status}");
        var statusFile = Path.Combine(rig.StateDirectory, RemoteStatusFile.FileName);
        await Eventually.TrueAsync(() =>
            RemoteStatusFile.TryRead(statusFile)?.Daemons.SingleOrDefault(d => d.Daemon == down.Endpoint) is { Reachable: false, Breaker: "open", Counters.LastError: not null },
            "remote-status.json shows it");
        Assert.True(rig.Logs.Contains("circuit breaker opened"), rig.Logs.Text);

        rig.Set(Container("web-2", 32769));
        await KernelIsAsync(up, Table(Web, Dest(32768), Dest(32769)), "changes keep flowing to the daemon that is up", rig);
        Assert.True(rig.Daemon(up).Status.InSync);

        await down.StartAsync();

        await KernelIsAsync(down, Table(Web, Dest(32768), Dest(32769)), "the other daemon converges once it is up", rig);
        await Eventually.TrueAsync(() => rig.Daemon(down).Status is { Reachable: true, InSync: true, Breaker: "closed" }, "its breaker closes",
            explain: () => $"{rig.Daemon(down).Status}");
    }

    [Fact]
    public async Task AServiceAnotherClientCreatedWithOtherSettingsAndItsBackendsIsUsedAsItIsAndReported()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await SendAsync(daemon, HttpMethod.Put, "/service/web-80-tcp", """{"port":80,"method":"rr"}""");
        await SendAsync(daemon, HttpMethod.Put, "/service/web-80-tcp/other-host-1", """{"host":"10.0.0.7","port":31000}""");
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768));
        rig.Start();

        const string other = "  10.0.0.7:31000 w=100 Nat a=0 i=0";
        await KernelIsAsync(daemon, Table("tcp 10.1.0.1:80 rr", Dest(32768), other), "its backend added to the existing service", rig);
        await Eventually.TrueAsync(() => rig.Daemon(daemon).Status.Refused.Any(r =>
                r.Contains("scheduler rr, wanted wrr", StringComparison.Ordinal) && r.Contains("other-host-1", StringComparison.Ordinal)),
            "the difference is reported, naming the other client's backend");

        rig.Remove("web-1");
        await KernelIsAsync(daemon, Table("tcp 10.1.0.1:80 rr", other), "its backend removed, the service and the other backend kept", rig);
    }

    [Fact]
    public async Task AnEmptyServiceSomeoneCreatedWithOtherSettingsIsFixed()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await SendAsync(daemon, HttpMethod.Put, "/service/web-80-tcp", """{"port":80,"method":"rr"}""");
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768));
        rig.Start();

        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "the scheduler set as the labels say, the backend added", rig);
    }

    /// <summary>
    /// Between the agent's read and its create, someone creates the service with other settings: the daemon answers 409.
    /// The agent reads it back, finds the difference and fixes it, in the same pass.
    /// </summary>
    [Fact]
    public async Task A409OnCreateIsVerifiedAndADifferenceFixed()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        using var http = new HttpClient(new CreateFirstHandler(daemon, "/service/web-80-tcp", """{"port":80,"method":"lc"}""") { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = daemon.BaseAddress,
        };
        var state = Directory.CreateTempSubdirectory("gorblink-409-");
        try
        {
            var endpoint = RemoteEndpoint.Parse(daemon.Endpoint);
            var ownership = new RemoteOwnership(Path.Combine(state.FullName, endpoint.FileName), endpoint.Name);
            var reconciler = new RemoteReconciler(new GorbClient(http, endpoint), ownership, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

            var result = await reconciler.ReconcileAsync(Desired(Container("web-1", 32768)), Ct);

            Assert.True(result.Succeeded, string.Join("; ", result.Failures));
            Assert.Empty(result.Refusals);
            Assert.Equal(Table(Web, Dest(32768)), daemon.Kernel.Dump());
            var created = Assert.Single(ownership.Services);
            Assert.Equal("web-80-tcp", created);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    private static RemoteDesiredState Desired(params ContainerRecord[] containers)
    {
        var store = new ContainerStore();
        store.ReplaceAll(containers);
        var labels = RemoteDesiredMapper.ForRemote(GorbLink.Core.Labels.LabelOptions.ForInterface([HostAddress]));
        var snapshot = store.Snapshot();
        var desired = new GorbLink.Core.Desired.DesiredStateBuilder(labels).Build(snapshot, null);
        return RemoteDesiredMapper.Map(1, desired);
    }

    /// <summary>On the first PUT to <paramref name="path"/>, first creates it on the daemon with <paramref name="body"/> (the race).</summary>
    private sealed class CreateFirstHandler(TestDaemon daemon, string path, string body) : DelegatingHandler
    {
        private bool _done;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!_done && request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath == path)
            {
                _done = true;
                await RemoteModeTests.SendAsync(daemon, HttpMethod.Put, path, body);
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task AServiceTheAgentCreatedAndSomeoneChangedIsFixed()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768));
        rig.Start();
        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "registered", rig);

        await SendAsync(daemon, HttpMethod.Patch, "/service/web-80-tcp", """{"method":"lc","persistent":true}""");
        Assert.Equal(Table("tcp 10.1.0.1:80 lc", Dest(32768)), daemon.Kernel.Dump());
        rig.Store.MarkDirty();

        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "the scheduler set back by PATCH /service", rig);
        Assert.Equal(0u, daemon.Kernel.Find(GorbLink.Ipvs.VirtualServiceKey.For(GorbLink.Ipvs.IpvsProtocol.Tcp, IPAddress.Parse("10.1.0.1"), 80))!.Spec.PersistenceTimeout);
    }

    [Fact]
    public async Task ABackendIdSomeoneElseHoldsForAnotherEndpointIsLeftAloneAndReported()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await SendAsync(daemon, HttpMethod.Put, "/service/web-80-tcp", """{"port":80}""");
        await SendAsync(daemon, HttpMethod.Put, "/service/web-80-tcp/web-1-32768-tcp", """{"host":"10.0.0.66","port":32768}""");
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768), Container("web-2", 32769));
        rig.Start();

        await KernelIsAsync(daemon, Table(Web, Dest(32769), "  10.0.0.66:32768 w=100 Nat a=0 i=0"), "web-2 added, the taken ID left alone", rig);
        await Eventually.TrueAsync(() => rig.Daemon(daemon).Status.Refused.Any(r => r.Contains("web-1-32768-tcp", StringComparison.Ordinal)), "reported");
    }

    [Fact]
    public async Task TheTokenIsSentAsABearerToken()
    {
        await using var daemon = await TestDaemon.CreateAsync(token: "s3cret");
        await using var rig = new AgentRig([daemon.Endpoint], token: "s3cret");
        rig.Set(Container("web-1", 32768));
        rig.Start();

        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "registered through the token check", rig);
    }

    [Fact]
    public async Task CleanupDeletesOnlyWhatTheAgentCreated()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var rig = new AgentRig([daemon.Endpoint]);
        rig.Set(Container("web-1", 32768), Container("api-1", 40000, service: "api", port: 8080));
        rig.Start();
        await KernelIsAsync(daemon, Table(Web, Dest(32768), "tcp 10.1.0.1:8080 wrr", Dest(40000)), "registered", rig);
        await SendAsync(daemon, HttpMethod.Put, "/service/web-80-tcp/other", """{"host":"10.0.0.7","port":1}""");

        var problems = await rig.Agent!.CleanupAsync(Ct);

        Assert.Empty(problems);
        Assert.Equal(Table(Web, "  10.0.0.7:1 w=100 Nat a=0 i=0"), daemon.Kernel.Dump());
    }
}
