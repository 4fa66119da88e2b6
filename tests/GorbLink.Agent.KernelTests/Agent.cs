using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace GorbLink.Agent.KernelTests;

/// <summary>`gorblink run --log-format json ...` as a child process; its log lines are parsed as they come.</summary>
public sealed partial class Agent : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();
    private readonly Action<string>? _echo;

    private Agent(Process process, Action<string>? echo)
    {
        _process = process;
        _echo = echo;
    }

    public static Agent Start(Action<string>? echo, params string[] arguments) =>
        Launch(Node.Gorblink, "run", new Dictionary<string, string>(), echo, arguments);

    /// <summary>`gorblink serve --log-format json ...`: the same watching of its JSON log.</summary>
    public static Agent Serve(Action<string>? echo, params string[] arguments) =>
        Launch(Node.Gorblink, "serve", new Dictionary<string, string>(), echo, arguments);

    /// <summary>`BINARY COMMAND --log-format json ARGUMENTS` with <paramref name="environment"/> added to this process's.</summary>
    public static Agent Launch(string binary, string command, IReadOnlyDictionary<string, string> environment, Action<string>? echo, params string[] arguments)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(command);
        start.ArgumentList.Add("--log-format");
        start.ArgumentList.Add("json");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start };
        var agent = new Agent(process, echo);
        process.OutputDataReceived += (_, e) => agent.Receive(e.Data);
        process.ErrorDataReceived += (_, e) => agent.Receive(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        echo?.Invoke($"$ {string.Join(' ', environment.Select(e => $"{e.Key}={e.Value}"))} {binary} {command} --log-format json {string.Join(' ', arguments)}".TrimStart());
        return agent;
    }

    private void Receive(string? line)
    {
        if (line is null) return;
        lock (_gate) _lines.Add(line);
        try { _echo?.Invoke("[agent] " + line); }
        catch (InvalidOperationException) { }
    }

    public IReadOnlyList<string> Lines { get { lock (_gate) return [.. _lines]; } }

    /// <summary>The JSON log entries so far.</summary>
    public IReadOnlyList<JsonElement> Events =>
        [.. Lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    public IReadOnlyList<JsonElement> WithEvent(int id) => [.. Events.Where(e => e.GetProperty("eventId").GetInt32() == id)];

    public JsonElement WaitForEvent(int id, TimeSpan? timeout = null, Func<JsonElement, bool>? match = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var found = WithEvent(id).FirstOrDefault(e => match?.Invoke(e) ?? true);
            if (found.ValueKind == JsonValueKind.Object) return found;
            if (_process.HasExited) Assert.Fail($"the agent exited ({_process.ExitCode}) before event {id}; its log:\n{Tail()}");
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromMinutes(2))) Assert.Fail($"no event {id} in time; the agent's log:\n{Tail()}");
            Thread.Sleep(100);
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>True when the process ended within <paramref name="timeout"/>; its exit code is then in <see cref="ExitCode"/>.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // and its output read to the end
        return true;
    }

    /// <summary>The exit status; 128 + 9 after SIGKILL.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>kill -9 from outside, as the OOM killer or `docker kill` would; waits until the process is gone.</summary>
    public void Kill9()
    {
        if (!_process.HasExited) _ = kill(_process.Id, 9);
        _process.WaitForExit();
    }

    public string Tail(int count = 40) => string.Join('\n', Lines.TakeLast(count));

    public int Terminate(TimeSpan? timeout = null)
    {
        if (!_process.HasExited) _ = kill(_process.Id, 15);
        if (!_process.WaitForExit(timeout ?? TimeSpan.FromMinutes(1))) Assert.Fail($"the agent did not exit after SIGTERM; its log:\n{Tail()}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }

    /// <summary>Polls until <paramref name="condition"/> holds.</summary>
    public static void Until(string what, Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromMinutes(2))) Assert.Fail($"timed out waiting for {what}");
            Thread.Sleep(200);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
