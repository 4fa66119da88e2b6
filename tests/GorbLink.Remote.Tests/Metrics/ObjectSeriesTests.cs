using GorbLink.Remote.Metrics;

namespace GorbLink.Remote.Tests.Metrics;

/// <summary>
/// When a kind of object is due for a new meter provider, with a limit of 8: after more than 6 label sets since the
/// provider was built, 2 or more of them of objects no longer reported.
/// </summary>
public class ObjectSeriesTests
{
    [Theory]
    // Each report is the objects one collection sees, by identity; reports are separated by '|'.
    [InlineData("1,2,3 | 1,2,3 | 1,2,3", 3, false)] // a table that stays put
    [InlineData("1,2,3,4,5,6,7,8 | 1,2,3,4,5,6,7,8", 8, false)] // full, but nothing to give back
    [InlineData("1,2,3 | 3,4,5 | 5,6", 6, false)] // 4 gone, but not past three quarters yet
    [InlineData("1,2,3 | 3,4,5 | 5,6,7", 7, true)] // past three quarters with 4 gone
    [InlineData("1,2,3,4,5,6 | 1,2,3,4,5,6,7", 7, false)] // past three quarters, nothing gone
    [InlineData("1,2,3,4,5,6 | 2,3,4,5,6,7", 7, false)] // 1 gone: rebuilding would give back too little
    [InlineData("1 | 1,2 | 1 | 1,2 | 1 | 1,2 | 1 | 1,2", 5, false)] // a comeback counts again (an upper bound)
    [InlineData("1 | 1,2 | 1 | 1,2 | 1 | 1,2 | 1 | 1,2 | 1 | 1,2 | 1 | 1,2 | 1", 7, true)]
    [InlineData("", 0, false)]
    public void DueWhenGoneObjectsFillTheLimit(string reports, int sinceBuilt, bool due)
    {
        var dueCalls = 0;
        var series = new SeriesLedger(new SeriesLimits(Destinations: 8, Services: 8), () => dueCalls++).Destinations;
        foreach (var report in reports.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            series.Report(report.Split(',').Select(long.Parse));

        Assert.Equal(sinceBuilt, series.SinceBuilt);
        Assert.Equal(due, series.Due);
        Assert.Equal(due, dueCalls > 0);
    }

    [Fact]
    public void ARestartCountsOnlyTheObjectsReportedAfterIt()
    {
        var series = new SeriesLedger(new SeriesLimits(8, 8), () => { }).Destinations;
        foreach (var report in new long[][] { [1, 2, 3], [3, 4, 5], [5, 6, 7] }) series.Report(report);
        Assert.True(series.Due);

        series.Restart();
        series.Report([5, 6, 7]);

        Assert.Equal(3, series.SinceBuilt);
        Assert.False(series.Due);
    }

    [Theory]
    [InlineData("destination", "10.0.0.2:80", "destination", "10.0.0.2:80", true)]
    [InlineData("destination", "10.0.0.2:80", "destination", "10.0.0.2:81", false)]
    [InlineData("destination", "10.0.0.2:80", "container", "10.0.0.2:80", false)]
    public void LabelSetsWithTheSameKeysAndValuesHaveOneIdentity(string key1, string value1, string key2, string value2, bool same)
    {
        KeyValuePair<string, object?>[] a = [new("service", "tcp 10.0.0.1:80"), new(key1, value1)];
        KeyValuePair<string, object?>[] b = [new("service", "tcp 10.0.0.1:80"), new(key2, value2)];
        Assert.Equal(same, LabelSetIdentity.Of(a) == LabelSetIdentity.Of(b));
    }

    [Fact]
    public void WhereOneValueEndsAndTheNextBeginsIsPartOfTheIdentity()
    {
        KeyValuePair<string, object?>[] a = [new("ab", "c")];
        KeyValuePair<string, object?>[] b = [new("a", "bc")];
        Assert.NotEqual(LabelSetIdentity.Of(a), LabelSetIdentity.Of(b));
    }
}
