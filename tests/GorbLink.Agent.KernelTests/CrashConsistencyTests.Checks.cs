using System.Diagnostics;
using GorbLink.Core.Ownership;
using GorbLink.Ipvs;

namespace GorbLink.Agent.KernelTests;

/// <summary>Killing, restarting and the checks after each kill, for the agent and serve alike.</summary>
public sealed partial class CrashConsistencyTests
{
    /// <summary>No crash point, even when the test itself runs with GORBLINK_CRASH_AT set (empty means unset).</summary>
    private static readonly IReadOnlyDictionary<string, string> NoCrash = new Dictionary<string, string> { ["GORBLINK_CRASH_AT"] = "" };

    private Agent Launch(string command, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var process = Agent.Launch(Binary, command, environment, echo: null, arguments);
        _processes.Add(process);
        return process;
    }

    /// <summary>Runs gorblink armed with GORBLINK_CRASH_AT=<paramref name="crashAt"/> until the point kills it.</summary>
    /// <param name="drive">Makes the process reach the point (serve: requests); returns when it is gone or gives up.</param>
    /// <returns>False (and a failure) when the process did not die by SIGKILL at the point.</returns>
    private bool KillAtPoint(string command, string crashAt, string[] arguments, string what, Action<Agent>? drive = null)
    {
        var process = Launch(command, new Dictionary<string, string> { ["GORBLINK_CRASH_AT"] = crashAt }, arguments);
        drive?.Invoke(process);
        if (!process.WaitForExit(Converge))
        {
            process.Kill9();
            _failures.Add($"{what}: the crash point was never reached; the log:\n{process.Tail(10)}");
            return false;
        }
        // 128 + SIGKILL, and the point's own last words: it was the crash point, not an exit or another signal.
        if (process.ExitCode != 137 || !process.Lines.Contains($"crash point {CrashName(crashAt)}: SIGKILL"))
        {
            _failures.Add($"{what}: exited {process.ExitCode}, not by the crash point; the log:\n{process.Tail(10)}");
            return false;
        }
        return true;
    }

    private static string CrashName(string crashAt) => crashAt.Contains(':', StringComparison.Ordinal) ? crashAt : crashAt + ":1";

    /// <summary>kill -9 from outside after <paramref name="delay"/>.</summary>
    private bool KillAtRandom(string command, string[] arguments, TimeSpan delay, string what, Action<Agent, CancellationToken>? drive = null)
    {
        var process = Launch(command, NoCrash, arguments);
        using var stop = new CancellationTokenSource();
        var driving = Task.Run(() => drive?.Invoke(process, stop.Token));
        Thread.Sleep(delay);
        var alive = !process.HasExited;
        process.Kill9();
        stop.Cancel();
        driving.Wait(TimeSpan.FromSeconds(30));
        if (!alive) _failures.Add($"{what}: gorblink exited ({process.ExitCode}) before the kill; the log:\n{process.Tail(10)}");
        return alive;
    }

    /// <summary>Runs one check; a failure is recorded with <paramref name="what"/> (the kill, and when) and the run goes on.</summary>
    private bool Check(string what, Action check)
    {
        try
        {
            check();
            return true;
        }
        catch (Exception e)
        {
            _failures.Add($"{what}: {e.Message}");
            Note($"{what}: INCONSISTENT: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// Polls until the kernel's table (GorbLink's part) equals <paramref name="expected"/> and the ownership file lists
    /// exactly its entries; fails with the difference when that does not happen in time or the process exits.
    /// </summary>
    private static void WaitFor(Agent process, Func<List<string>> expected, Func<List<string>> kernel, Func<List<string>> owned)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var want = expected();
            var have = kernel();
            var listed = owned();
            var keys = KeyLines(want);
            if (want.SequenceEqual(have) && keys.SequenceEqual(listed)) return;
            if (process.HasExited || deadline.Elapsed > Converge)
            {
                var why = process.HasExited ? $"gorblink exited ({process.ExitCode})" : $"not converged in {Converge.TotalSeconds:0} s";
                Assert.Fail($"{why}.\nkernel vs desired: {ProcIpvs.Diff(want, have)}\nownership file vs desired: {ProcIpvs.Diff(keys, listed)}\nthe log:\n{process.Tail(10)}");
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>The entries of normalized lines, without scheduler, forwarding or weight: what an ownership file lists.</summary>
    private static List<string> KeyLines(IEnumerable<string> normalized) =>
        [.. normalized.Select(l => string.Join(' ', ProcIpvs.Words(l).Take(l.Contains(" -> ", StringComparison.Ordinal) ? 4 : 2))).Order(StringComparer.Ordinal)];

    /// <summary>An ownership file's entries as <see cref="KeyLines"/> writes them; it must be whole (a torn file fails here).</summary>
    private static List<string> Owned(string path)
    {
        var table = new OwnershipStore(new OwnershipOptions { Path = path }).Load();
        var lines = new List<string>();
        foreach (var service in table.Services)
        {
            var key = service.IsFirewallMark
                ? $"FWM {service.FirewallMark:X8}"
                : $"{service.Protocol.ToString().ToUpperInvariant()} {ProcIpvs.Hex(service.Address!.ToString(), service.Port)}";
            lines.Add(key);
            lines.AddRange(table.DestinationsOf(service).Select(d => $"{key} -> {ProcIpvs.Hex(d.Address.ToString(), d.Port)}"));
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Right after a kill: every entry GorbLink has in the kernel is in its ownership file (else it would be foreign for ever).</summary>
    private static void OwnedCoversKernel(List<string> kernel, List<string> owned)
    {
        var unowned = KeyLines(kernel).Except(owned).ToList();
        Assert.True(unowned.Count == 0, $"{unowned.Count} entries in the kernel are not in the ownership file: {string.Join(", ", unowned.Take(10))}");
    }

    /// <summary>The foreign services made with ipvsadm, byte for byte; and the foreign destination inside a GorbLink service, when given.</summary>
    private void ForeignUntouched(IReadOnlyList<ProcIpvsService> table, string? foreignLine)
    {
        var now = table.ToDictionary(s => s.Key, s => s.Raw);
        foreach (var (key, raw) in _foreign)
        {
            Assert.True(now.TryGetValue(key, out var current), $"the foreign service {key} is gone");
            Assert.True(raw == current, $"the foreign service {key} changed:\nwas:\n{raw}\nnow:\n{current}");
        }
        if (foreignLine is null) return;
        var lines = table.SelectMany(s => s.DestinationLines).Where(l => l.Contains(ProcIpvs.Hex(ForeignDestination, 80), StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1 && lines[0] == foreignLine, $"the foreign destination {ForeignDestination}:80 inside a GorbLink service changed: was \"{foreignLine}\", now {string.Join(" | ", lines)}");
    }
}
