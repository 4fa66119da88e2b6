using CsCheck;

namespace GorbLink.Fuzz.Tests.Support;

/// <summary>
/// How long each target runs: GORBLINK_FUZZ_SECONDS (tests/run: 20 s a target; tests/fuzz: as long as asked).
/// GORBLINK_FUZZ_SEED replays one failing input exactly, as CsCheck printed it.
/// </summary>
public static class FuzzRun
{
    public static int Seconds =>
        int.TryParse(Environment.GetEnvironmentVariable("GORBLINK_FUZZ_SECONDS"), out var seconds) && seconds > 0 ? seconds : 20;

    /// <summary>
    /// The budget of a pure property (planners): a quarter of a target's, 5 s in tests/run. They run thousands of
    /// cases a second, so 5 s already covers far more than their input space's corners.
    /// </summary>
    public static int PropertySeconds => Math.Max(1, Seconds / 4);

    public static string? Seed => Environment.GetEnvironmentVariable("GORBLINK_FUZZ_SEED") is { Length: > 0 } seed ? seed : null;

    /// <summary>Runs <paramref name="check"/> on generated inputs for the budget; any exception it lets out is a finding, shrunk and reported with its seed.</summary>
    /// <param name="threads">1 for a target with shared state (one server); by default one a core.</param>
    /// <param name="seconds">The budget; by default <see cref="Seconds"/>.</param>
    public static void Run<T>(Gen<T> gen, Action<T> check, Func<T, string>? print = null, int threads = -1, int? seconds = null)
    {
        var output = TestContext.Current.TestOutputHelper;
        gen.Sample(check, writeLine: line => output?.WriteLine(line), seed: Seed, time: seconds ?? Seconds, threads: threads, print: print);
    }

    /// <summary><see cref="Run{T}"/> for a check that awaits (a target behind a server).</summary>
    public static Task RunAsync<T>(Gen<T> gen, Func<T, Task> check, Func<T, string>? print = null, int threads = -1, int? seconds = null)
    {
        var output = TestContext.Current.TestOutputHelper;
        return gen.SampleAsync(check, writeLine: line => output?.WriteLine(line), seed: Seed, time: seconds ?? Seconds, threads: threads, print: print);
    }
}
