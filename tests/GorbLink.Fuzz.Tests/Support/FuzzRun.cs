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

    public static string? Seed => Environment.GetEnvironmentVariable("GORBLINK_FUZZ_SEED") is { Length: > 0 } seed ? seed : null;

    /// <summary>Runs <paramref name="check"/> on generated inputs for the budget; any exception it lets out is a finding, shrunk and reported with its seed.</summary>
    public static void Run<T>(Gen<T> gen, Action<T> check, Func<T, string>? print = null)
    {
        var output = TestContext.Current.TestOutputHelper;
        gen.Sample(check, writeLine: line => output?.WriteLine(line), seed: Seed, time: Seconds, print: print);
    }
}
