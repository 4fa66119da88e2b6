using GorbLink.Core.Pipeline;

namespace GorbLink.Core.Tests.Pipeline;

public sealed class OnceReporterTests
{
    public static TheoryData<string[][], string> Passes => new()
    {
        // Each row: the messages of successive passes → what was said, in order.
        { [["a"], ["a"], ["a"]], "new a|again a|again a" },
        { [["a", "b"], ["b"], ["a", "b"]], "new a|new b|again b|gone a|new a|again b" },
        { [["a", "a"], []], "new a|gone a" },
        { [[], ["a"], [], ["a"]], "new a|gone a|new a" },
    };

    [Theory]
    [MemberData(nameof(Passes))]
    public void EachMessageIsNewOnceAgainWhileItStaysAndGoneWhenItGoes(string[][] passes, string expected)
    {
        var reporter = new OnceReporter();
        var said = new List<string>();
        foreach (var pass in passes)
        {
            var gone = reporter.Report(pass, m => said.Add($"new {m}"), m => said.Add($"again {m}"));
            said.AddRange(gone.Select(m => $"gone {m}"));
        }
        Assert.Equal(expected, string.Join('|', said));
    }
}
