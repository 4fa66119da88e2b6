using GorbLink.Metrics;
using GorbLink.Core.Metrics;

namespace GorbLink.Tests.Metrics;

public class PrometheusTextTests
{
    [Fact]
    public void FamiliesHaveHelpAndTypeThenSamplesWithEscapedLabels()
    {
        var text = new PrometheusText()
            .Family("gorblink_x_total", "counter", "Things.\nMore \\ things.")
            .Sample("gorblink_x_total", 3, ("name", "a\"b\\c\nd"), ("kind", ""))
            .Sample("gorblink_x_total", 0.25)
            .ToString();
        Assert.Equal(
            "# HELP gorblink_x_total Things.\\nMore \\\\ things.\n" +
            "# TYPE gorblink_x_total counter\n" +
            "gorblink_x_total{name=\"a\\\"b\\\\c\\nd\",kind=\"\"} 3\n" +
            "gorblink_x_total 0.25\n", text);
    }

    [Fact]
    public async Task LargeTextIsWrittenToAPipeAsUtf8InFull()
    {
        var text = new PrometheusText().Family("big_total", "counter", "Ünïcode help.");
        for (var i = 0; i < 20_000; i++) text.Sample("big_total", i, ("name", $"container-{i}-é"));
        var expected = text.ToString();
        // A pipe's writer waits once 64 KiB are unread, as a slow client's response does: read while it writes.
        var pipe = new System.IO.Pipelines.Pipe();
        using var stream = new MemoryStream();
        var reading = pipe.Reader.CopyToAsync(stream, TestContext.Current.CancellationToken);
        await text.WriteToAsync(pipe.Writer, TestContext.Current.CancellationToken);
        await pipe.Writer.CompleteAsync();
        await reading;
        Assert.True(expected.Length > 512 * 1024);
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(18446744073709551615.0, "1.8446744073709552E+19")]
    [InlineData(1234567.0, "1234567")]
    [InlineData(0.001, "0.001")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NaN, "NaN")]
    public void NumbersAreInvariantAndPrometheusSpelled(double value, string expected) =>
        Assert.Equal(expected, PrometheusText.Format(value));

    [Fact]
    public void HistogramBucketsAreCumulativeAndEndWithInfinity()
    {
        var histogram = new Histogram(0.25, 0.5, 1);
        foreach (var v in new[] { 0.125, 0.25, 0.375, 0.75, 7 }) histogram.Observe(v);
        var text = new PrometheusText().Family("d_seconds", "histogram", "D.").Histogram("d_seconds", histogram.Snapshot()).ToString();
        Assert.Equal(
            "# HELP d_seconds D.\n# TYPE d_seconds histogram\n" +
            "d_seconds_bucket{le=\"0.25\"} 2\n" +   // 0.25 itself counts: le is inclusive
            "d_seconds_bucket{le=\"0.5\"} 3\n" +
            "d_seconds_bucket{le=\"1\"} 4\n" +
            "d_seconds_bucket{le=\"+Inf\"} 5\n" +
            "d_seconds_sum 8.5\n" +
            "d_seconds_count 5\n", text);
    }

    [Fact]
    public void AFamilyCannotBeWrittenTwice()
    {
        var text = new PrometheusText().Family("a", "gauge", "A.");
        Assert.Throws<InvalidOperationException>(() => text.Family("a", "gauge", "A."));
    }
}
