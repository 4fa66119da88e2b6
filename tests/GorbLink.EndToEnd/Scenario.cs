using System.Diagnostics;
using Xunit.Sdk;
using Xunit.v3;

namespace GorbLink.EndToEnd;

/// <summary>
/// One agent scenario's run: a clean start (no test containers, empty IPVS table, fresh state directory), the agents
/// it starts, polling with generous deadlines (everything runs under TCG emulation), and cleanup at the end.
/// </summary>
public sealed class Scenario : IDisposable
{
    /// <summary>
    /// How long any one expected change may take before the scenario fails: generous, because under TCG emulation on a
    /// busy host (several VMs on two cores) dockerd alone has taken 75 s to start and an agent 45 s to converge.
    /// </summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private readonly List<AgentProcess> _agents = [];
    private readonly List<Action> _cleanups = [];
    private readonly ITestOutputHelper? _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private Scenario(string name, string stateDirectory, ITestOutputHelper? output)
    {
        Name = name;
        StateDirectory = stateDirectory;
        _output = output;
    }

    public string Name { get; }

    /// <summary>The agents' --state-dir (state.json, status.json); fresh for every scenario.</summary>
    public string StateDirectory { get; }

    public string StateFile => Path.Combine(StateDirectory, "state.json");

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <param name="docker">False for a scenario that starts no containers (it then runs without dockerd).</param>
    public static Scenario Begin(string name, bool docker = true)
    {
        Testbed.Require(docker);
        // Leftovers of an earlier scenario that failed half-way must not leak in.
        Docker.RemoveAll();
        Vm.Sh("ipvsadm -C");
        var state = Path.Combine(Path.GetTempPath(), "gorblink-e2e", name);
        if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
        Directory.CreateDirectory(state);
        var scenario = new Scenario(name, state, TestContext.Current.TestOutputHelper);
        scenario.Note($"=== {name}");
        return scenario;
    }

    /// <summary>Starts `gorblink run -i eth0 --state-dir STATE EXTRA...`; its log lines go to the test's output.</summary>
    public AgentProcess StartAgent(params string[] extra)
    {
        var tag = _agents.Count == 0 ? "[agent]" : $"[agent#{_agents.Count + 1}]";
        var agent = AgentProcess.Start(StateDirectory, tag, Output, extra);
        _agents.Add(agent);
        return agent;
    }

    /// <summary>Runs at the end of the scenario, before the containers are removed.</summary>
    public void OnCleanup(Action action) => _cleanups.Add(action);

    /// <summary>A line for the test's output (shown with a failure and in the XML results).</summary>
    public void Output(string line)
    {
        try
        {
            _output?.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // Output after the test ended (an agent's last lines): nowhere to go.
        }
    }

    /// <summary>A line for the console too: what the scenario measured.</summary>
    public void Note(string line)
    {
        Console.WriteLine($"  [{Name}] {line}");
        Output(line);
    }

    /// <summary>
    /// Polls <paramref name="condition"/> every 250 ms until it holds; returns how long that took. Fails the scenario with
    /// the IPVS table and the agents' last log lines when it does not hold within <paramref name="timeout"/> (default <see cref="Deadline"/>).
    /// </summary>
    public TimeSpan Until(string what, Func<bool> condition, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Deadline;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (condition()) return clock.Elapsed;
            if (clock.Elapsed > limit)
                Assert.Fail($"{what}: not within {limit.TotalSeconds:0} s.\n{Diagnostics()}");
            Thread.Sleep(250);
        }
    }

    /// <summary>Polls until the table holds exactly <paramref name="addresses"/> as the destinations of <paramref name="service"/>.</summary>
    public TimeSpan UntilDestinations(string service, IEnumerable<string> addresses, TimeSpan? timeout = null)
    {
        var expected = addresses.Order(StringComparer.Ordinal).ToArray();
        var what = expected.Length == 0
            ? $"{service} has no destinations"
            : $"{service} has exactly the destinations {string.Join(", ", expected)}";
        return Until(what, () => IpvsTable.Read().AddressesOf(service).SequenceEqual(expected), timeout);
    }

    public string Diagnostics()
    {
        var text = new System.Text.StringBuilder();
        text.Append("ipvsadm -Sn:\n").Append(IpvsTable.Read()).Append('\n');
        text.Append(Vm.Run("docker", "ps", "-a", "--filter", "label=" + Testbed.OwnLabel, "--format", "{{.Names}} {{.Status}} {{.Ports}}").Output);
        foreach (var agent in _agents) text.Append($"last lines of agent pid {agent.Id}:\n{agent.Tail(30)}\n");
        return text.ToString();
    }

    public void Dispose()
    {
        foreach (var agent in _agents) agent.Dispose();
        foreach (var cleanup in _cleanups)
        {
            try
            {
                cleanup();
            }
            catch (Exception e)
            {
                Output("cleanup: " + e.Message);
            }
        }
        Docker.RemoveAll();
        Vm.Run("ipvsadm", "-C");
    }
}

/// <summary>Runs test methods in the order of their names (S1_, S2_, ...), so the output reads like the issue's list.</summary>
public sealed class ByMethodName : ITestMethodOrderer
{
    public IReadOnlyCollection<TTestMethod?> OrderTestMethods<TTestMethod>(IReadOnlyCollection<TTestMethod?> testMethods)
        where TTestMethod : notnull, ITestMethod =>
        [.. testMethods.OrderBy(m => m?.MethodName, StringComparer.Ordinal)];
}
