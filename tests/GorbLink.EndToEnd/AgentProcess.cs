using System.Diagnostics;
using System.Runtime.InteropServices;

namespace GorbLink.EndToEnd;

/// <summary>
/// The built `gorblink run` as users run it, as a child process of the test: its log lines are captured (and copied to
/// the test's output), and it can be stopped with SIGTERM (graceful) or SIGKILL (a crash).
/// </summary>
public sealed class AgentProcess : IDisposable
{
    private const int SIGTERM = 15;
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();
    private readonly string _tag;
    private readonly Action<string>? _echo;
    private volatile bool _outputClosed, _errorClosed;

    private AgentProcess(Process process, string tag, Action<string>? echo)
    {
        _process = process;
        _tag = tag;
        _echo = echo;
    }

    /// <summary>The arguments after `gorblink`.</summary>
    public IReadOnlyList<string> Arguments { get; private init; } = [];

    public int Id => _process.Id;

    /// <summary>
    /// Starts `gorblink run -i eth0 --state-dir STATEDIR EXTRA...`. <paramref name="echo"/> receives every log line
    /// (prefixed with <paramref name="tag"/>) as it arrives.
    /// </summary>
    public static AgentProcess Start(string stateDirectory, string tag, Action<string>? echo, params string[] extra)
    {
        string[] arguments = ["run", "-i", "eth0", "--state-dir", stateDirectory, .. extra];
        var start = new ProcessStartInfo(Vm.Gorblink)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Vm.Repo,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var agent = new AgentProcess(process, tag, echo) { Arguments = arguments };
        process.OutputDataReceived += (_, e) => agent.Receive(e.Data, stderr: false);
        process.ErrorDataReceived += (_, e) => agent.Receive(e.Data, stderr: true);
        if (!process.Start()) throw new InvalidOperationException("could not start " + Vm.Gorblink);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        echo?.Invoke($"{tag} $ gorblink {string.Join(' ', arguments)}  (pid {process.Id})");
        return agent;
    }

    private void Receive(string? line, bool stderr)
    {
        if (line is null)
        {
            if (stderr) _errorClosed = true;
            else _outputClosed = true;
            return;
        }
        lock (_gate) _lines.Add(line);
        try
        {
            _echo?.Invoke($"{_tag} {line}");
        }
        catch (InvalidOperationException)
        {
            // The test that owned the output has ended.
        }
    }

    /// <summary>Every line logged so far (stdout and stderr).</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) return [.. _lines]; }
    }

    public string Log => string.Join('\n', Lines);

    public string Tail(int count = 40)
    {
        var lines = Lines;
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Count - count)));
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until a log line (from line <paramref name="from"/> on) matches; fails the test (with the log's tail) if none does in time or the agent exits.</summary>
    public string WaitForLine(string what, Func<string, bool> match, TimeSpan? timeout = null, int from = 0)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? Scenario.Deadline;
        var seen = from;
        while (true)
        {
            var lines = Lines;
            for (; seen < lines.Count; seen++)
            {
                if (match(lines[seen])) return lines[seen];
            }
            if (_process.HasExited && _outputClosed && _errorClosed)
                Assert.Fail($"{_tag} exited ({_process.ExitCode}) before logging {what}; its log:\n{Tail()}");
            if (deadline.Elapsed > limit)
                Assert.Fail($"{_tag} did not log {what} within {limit.TotalSeconds:0} s; its log:\n{Tail()}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits for the first reconcile pass (the agent is watching and has programmed what it should).</summary>
    public AgentProcess WaitUntilReady()
    {
        WaitForLine("its first reconcile pass", l => l.Contains("first reconcile pass done", StringComparison.Ordinal));
        return this;
    }

    /// <summary>SIGTERM, then waits for the exit; returns the exit code.</summary>
    public int Terminate(TimeSpan? timeout = null)
    {
        if (!_process.HasExited && kill(_process.Id, SIGTERM) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        return WaitForExit(timeout ?? Scenario.Deadline, "after SIGTERM");
    }

    /// <summary>SIGKILL: the agent gets no chance to clean up or write anything.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        WaitForExit(TimeSpan.FromSeconds(30), "after SIGKILL");
    }

    private int WaitForExit(TimeSpan timeout, string when)
    {
        if (!_process.WaitForExit(timeout))
            Assert.Fail($"{_tag} did not exit within {timeout.TotalSeconds:0} s {when}; its log:\n{Tail()}");
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
