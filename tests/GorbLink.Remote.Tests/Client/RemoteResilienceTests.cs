using System.Net;
using GorbLink.Remote.Client;
using GorbLink.Remote.Tests.Support;
using static GorbLink.Remote.Tests.Support.AgentRig;

namespace GorbLink.Remote.Tests.Client;

/// <summary>
/// The agent's HTTP resilience pipeline (RemoteAgent: attempt timeout, retries of idempotent calls only, circuit
/// breaker) against `gorblink serve` behind a fault-injecting proxy on 127.0.0.1 that the test controls: a daemon that is
/// slow, answers 503 or drops the connection. Every attempt the agent makes is journaled by the proxy.
/// </summary>
public sealed class RemoteResilienceTests
{
    private const string Web = "tcp 10.1.0.1:80 wrr";
    private const string Web1 = "/service/web-80-tcp/web-1-32768-tcp";

    private static string Table(params string[] lines) => string.Join("\n", lines);

    private static string Dest(ushort port, int weight = 100) => $"  10.0.0.5:{port} w={weight} Nat a=0 i=0";

    private static Task KernelIsAsync(TestDaemon daemon, string expected, string what, AgentRig rig, FaultProxy proxy) =>
        Eventually.TrueAsync(() => daemon.Kernel.Dump() == expected, what, explain: () => Explain(daemon, rig, proxy, expected));

    private static string Explain(TestDaemon daemon, AgentRig rig, FaultProxy proxy, string? expected = null) =>
        $"kernel:\n{daemon.Kernel.Dump()}\n{(expected is null ? "" : $"expected:\n{expected}\n")}status: {rig.Agent?.Daemons.Single().Status}\n" +
        $"proxy journal:\n{proxy.Journal}\nagent log:\n{rig.Logs.Text}";

    private static RemoteDaemon Sink(AgentRig rig) => rig.Agent!.Daemons.Single();

    public static TheoryData<string, string, string> IdempotentFaults => new()
    {
        { "GET", "/service", "503" },
        { "GET", "/service", "reset" },
        { "PUT", Web1, "503" },
        { "PUT", Web1, "reset" },
    };

    private static Fault Make(string fault) => fault == "reset" ? new Fault.Reset() : new Fault.Status(HttpStatusCode.ServiceUnavailable);

    /// <summary>
    /// GET and PUT are idempotent: one 503 or dropped connection is retried by the handler at once (the very next request
    /// the daemon sees is the same one again), so the pass neither fails nor reports a refused write.
    /// </summary>
    [Theory]
    [MemberData(nameof(IdempotentFaults))]
    public async Task AnIdempotentCallThatFailsOnceIsRetriedWithinThePass(string method, string path, string fault)
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var proxy = await FaultProxy.StartAsync(daemon);
        proxy.Inject(Make(fault), method, path);
        await using var rig = new AgentRig([proxy.Endpoint]);
        rig.Set(Container("web-1", 32768));
        rig.Start();

        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "registered", rig, proxy);
        await Eventually.TrueAsync(() => Sink(rig).Status is { InSync: true, Counters.Passes: >= 1 }, "the first pass is over");

        var journal = proxy.Requests;
        var failed = Assert.Single(journal, r => r.Fault is not null);
        Assert.True(failed.Method == method && failed.Path == path, proxy.Journal);
        var next = journal.Single(r => r.Sequence == failed.Sequence + 1);
        Assert.True(next.Method == method && next.Path == path && next.Forwarded, $"the retry must come right after the failure:\n{proxy.Journal}");
        var status = Sink(rig).Status;
        Assert.True(status is { Counters.FailedPasses: 0, Failures.Count: 0 }, Explain(daemon, rig, proxy));
        Assert.True(rig.Logs.Lines.All(l => l.Level < Microsoft.Extensions.Logging.LogLevel.Warning), rig.Logs.Text);
    }

    /// <summary>
    /// PATCH is not idempotent in general and is never retried: after a 503 or a dropped connection the same PATCH comes
    /// again only in a later pass (after a fresh read), and the failure is reported (a refused write, or a failed pass).
    /// </summary>
    [Theory]
    [InlineData("503")]
    [InlineData("reset")]
    public async Task APatchThatFailsOnceIsNotRetriedAndALaterPassAppliesIt(string fault)
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var proxy = await FaultProxy.StartAsync(daemon);
        await using var rig = new AgentRig([proxy.Endpoint]);
        rig.Set(Container("web-1", 32768));
        rig.Start();
        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "registered", rig, proxy);

        proxy.Inject(Make(fault), "PATCH", Web1);
        rig.Set(Container("web-1", 32768, weight: 50));

        await KernelIsAsync(daemon, Table(Web, Dest(32768, 50)), "the weight applied by a later pass", rig, proxy);
        var journal = proxy.Requests;
        var patches = journal.Where(r => r.Method == "PATCH").ToList();
        Assert.True(patches.Count == 2, $"one failed PATCH and one in the next pass:\n{proxy.Journal}");
        Assert.NotNull(patches[0].Fault);
        Assert.True(patches[1].Forwarded, proxy.Journal);
        var between = journal.Where(r => r.Sequence > patches[0].Sequence && r.Sequence < patches[1].Sequence).ToList();
        Assert.True(between.Any(r => r is { Method: "GET", Path: "/service" }), $"no immediate retry: a fresh read comes first\n{proxy.Journal}");
        if (fault == "503")
        {
            Assert.True(rig.Logs.Contains("set weight of backend web-1-32768-tcp to 50: 503 injected by the test proxy (503); the next pass retries"), rig.Logs.Text);
            Assert.Equal(0, Sink(rig).Status.Counters.FailedPasses);
        }
        else
        {
            Assert.Equal(1, Sink(rig).Status.Counters.FailedPasses);
            Assert.True(rig.Logs.Contains("PATCH /service/web-80-tcp/web-1-32768-tcp"), rig.Logs.Text);
        }
    }

    /// <summary>
    /// A daemon that takes longer than the attempt timeout: each attempt is cut at the attempt timeout (the delay is far
    /// below the total timeout, so nothing else could end it), the passes fail, nothing on the daemon or in the ownership
    /// file is lost, and changes made meanwhile are applied once it is fast again: including the delete of a backend that
    /// the agent can only make because it still knows the backend is its own.
    /// </summary>
    [Fact]
    public async Task ASlowDaemonTimesOutPerAttemptLosesNothingAndConvergesWhenFastAgain()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var proxy = await FaultProxy.StartAsync(daemon);
        await using var rig = new AgentRig([proxy.Endpoint])
        {
            Tune = o => o with
            {
                Resilience = o.Resilience with
                {
                    AttemptTimeout = TimeSpan.FromMilliseconds(250),
                    TotalTimeout = TimeSpan.FromSeconds(10),
                    MaxRetries = 1,
                    RetryDelay = TimeSpan.FromMilliseconds(20),
                    BreakDuration = TimeSpan.FromMilliseconds(500),
                },
            },
        };
        rig.Set(Container("web-1", 32768), Container("web-2", 32769));
        rig.Start();
        var before = Table(Web, Dest(32768), Dest(32769));
        await KernelIsAsync(daemon, before, "registered", rig, proxy);
        await Eventually.TrueAsync(() => Sink(rig).Status is { InSync: true, OwnedBackends: 2 }, "in sync");

        var slowFrom = proxy.Requests.Count;
        proxy.Delay = TimeSpan.FromMilliseconds(1500); // six attempt timeouts, far within the total timeout
        rig.Remove("web-1").Set(Container("web-3", 32770));

        await Eventually.TrueAsync(() => rig.Logs.Contains("no answer in time") && Sink(rig).Status.Counters.ConsecutiveFailures >= 2,
            "passes fail with a timeout", TimeSpan.FromSeconds(10), () => Explain(daemon, rig, proxy));
        var status = Sink(rig).Status;
        Assert.True(status is { Reachable: false, InSync: false }, $"{status}");
        Assert.Equal(before, daemon.Kernel.Dump());
        var slow = proxy.Requests.Skip(slowFrom).ToList();
        Assert.True(slow.Count >= 2 && slow.All(r => r is { Method: "GET", Path: "/service" }), $"only the first read of each pass (and probes), no writes:\n{proxy.Journal}");
        var endpoint = RemoteEndpoint.Parse(proxy.Endpoint);
        var ownership = new RemoteOwnership(Path.Combine(rig.StateDirectory, endpoint.FileName), endpoint.Name);
        ownership.Load();
        Assert.Equal(["web-80-tcp"], ownership.Services);
        Assert.Equal(["web-1-32768-tcp", "web-2-32769-tcp"], ownership.Backends.Keys.Order(StringComparer.Ordinal));

        proxy.Delay = TimeSpan.Zero;

        await KernelIsAsync(daemon, Table(Web, Dest(32769), Dest(32770)), "web-1 deleted and web-3 added once the daemon is fast again", rig, proxy);
        await Eventually.TrueAsync(() => Sink(rig).Status is { Reachable: true, InSync: true, Breaker: "closed", OwnedBackends: 2 }, "in sync again",
            explain: () => Explain(daemon, rig, proxy));
    }

    /// <summary>
    /// Missing from RemoteModeTests (there the daemon is down, so calls never reach it anyway): the breaker opens on a
    /// daemon that answers, but only with 503s; while it is open no call reaches the daemon at all (the sink's passes
    /// fail fast); after the break a trial call goes through, and as the daemon is healthy again the breaker closes and
    /// the agent converges.
    /// </summary>
    [Fact]
    public async Task TheBreakerOpensOn503sStopsCallingTheDaemonAndClosesWhenItIsHealthy()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await using var proxy = await FaultProxy.StartAsync(daemon);
        // Longer than the agent's longest backoff (1 s): a pass comes while the breaker is still open.
        var breakDuration = TimeSpan.FromSeconds(3);
        await using var rig = new AgentRig([proxy.Endpoint]) { Tune = o => o with { Resilience = o.Resilience with { BreakDuration = breakDuration } } };
        rig.Set(Container("web-1", 32768));
        rig.Start();
        await KernelIsAsync(daemon, Table(Web, Dest(32768)), "registered", rig, proxy);

        proxy.Inject(new Fault.Status(HttpStatusCode.ServiceUnavailable), times: int.MaxValue);
        rig.Set(Container("web-2", 32769));

        await Eventually.TrueAsync(() => Sink(rig).BreakerState == "open", "the breaker opens", explain: () => Explain(daemon, rig, proxy));
        var seen = proxy.Requests.Count;
        var failures = Sink(rig).Status.Counters.FailedPasses;
        await Eventually.TrueAsync(() => Sink(rig).Status.Counters is { FailedPasses: var f, LastError: { } e } && f > failures && e.Contains("circuit open", StringComparison.Ordinal),
            "a pass fails fast on the open breaker", explain: () => Explain(daemon, rig, proxy));
        Assert.Equal("open", Sink(rig).BreakerState);
        Assert.True(proxy.Requests.Count == seen, $"nothing reached the daemon while the breaker was open:\n{proxy.Journal}");
        Assert.Equal(Table(Web, Dest(32768)), daemon.Kernel.Dump());

        proxy.Heal();

        await Eventually.TrueAsync(() => rig.Logs.Contains("circuit breaker half-open") && proxy.Requests.Count > seen,
            "half-open after the break, a trial call reaches the daemon", explain: () => Explain(daemon, rig, proxy));
        await KernelIsAsync(daemon, Table(Web, Dest(32768), Dest(32769)), "web-2 added once the daemon is healthy", rig, proxy);
        await Eventually.TrueAsync(() => Sink(rig).Status is { InSync: true, Breaker: "closed" }, "the breaker closes", explain: () => Explain(daemon, rig, proxy));
        Assert.True(rig.Logs.Contains("circuit breaker closed"), rig.Logs.Text);
    }
}
