namespace GorbLink.Netlink.Tests;

/// <summary>GORBLINK_CRASH_AT's spelling: each point with and without a count, and each refusal naming the value.</summary>
public class CrashPointsTests
{
    public static TheoryData<string, CrashPoint, int> Valid => new()
    {
        { "write-ahead", CrashPoint.WriteAhead, 1 },
        { "write-ahead:3", CrashPoint.WriteAhead, 3 },
        { "batch-messages:700", CrashPoint.BatchMessages, 700 },
        { "after-batch", CrashPoint.AfterBatch, 1 },
        { "after-batch:2", CrashPoint.AfterBatch, 2 },
        { "file-write:12", CrashPoint.FileWrite, 12 },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void APointAndItsCountAreRead(string text, CrashPoint point, int count)
    {
        var plan = CrashPlan.Parse(text, out var error);
        Assert.Null(error);
        Assert.Equal(new CrashPlan(point, count), plan);
        Assert.Equal(text.Contains(':', StringComparison.Ordinal) ? text : text + ":1", plan!.ToString());
    }

    public static TheoryData<string, string> Invalid => new()
    {
        { "", "\"\" is not a crash point (one of write-ahead, batch-messages, after-batch, file-write)" },
        { "Write-Ahead", "\"Write-Ahead\" is not a crash point" },
        { "before-batch:1", "\"before-batch\" is not a crash point" },
        { "after-batch:0", "\"0\" is not a count of 1 or more" },
        { "after-batch:", "\"\" is not a count of 1 or more" },
        { "file-write:-1", "\"-1\" is not a count of 1 or more" },
        { "file-write: 2", "\" 2\" is not a count of 1 or more" },
        { "batch-messages:99999999999", "\"99999999999\" is not a count of 1 or more" },
        { "write-ahead:1:2", "\"1:2\" is not a count of 1 or more" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void AnythingElseIsRefusedNamingTheVariableAndTheValue(string text, string problem)
    {
        Assert.Null(CrashPlan.Parse(text, out var error));
        Assert.StartsWith($"GORBLINK_CRASH_AT=\"{text}\": ", error, StringComparison.Ordinal);
        Assert.Contains(problem, error, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutTheVariableNothingIsArmed()
    {
        Assert.Null(Environment.GetEnvironmentVariable(CrashPoints.EnvironmentVariable));
        Assert.Null(CrashPoints.Armed);
        Assert.Null(CrashPoints.EnvironmentError);
        Assert.Null(CrashPoints.BatchCut(1000));
        CrashPoints.Reached(CrashPoint.AfterBatch); // returns: nothing is armed
    }
}
