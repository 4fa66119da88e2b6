namespace GorbLink.Docker.Tests;

public sealed class BackoffAndTimeTests
{
    [Fact]
    public void BackoffDoublesWithEqualJitterAndCapsAtTheMaximum()
    {
        var low = new ReconnectBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), () => 0.0);
        var high = new ReconnectBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), () => 1.0);
        double[] ceilings = [0.5, 1, 2, 4, 8, 16, 30, 30, 30];
        foreach (var ceiling in ceilings)
        {
            Assert.Equal(TimeSpan.FromSeconds(ceiling / 2), low.Next());
            Assert.Equal(TimeSpan.FromSeconds(ceiling), high.Next());
        }

        high.Reset();
        Assert.Equal(TimeSpan.FromMilliseconds(500), high.Next());
    }

    [Fact]
    public void BackoffSurvivesManyAttempts()
    {
        var b = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => 0.5);
        for (var i = 0; i < 1000; i++) Assert.InRange(b.Next(), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("2026-11-26T01:34:03.496986243Z", 1795656843496986243L)]
    [InlineData("2026-11-26T01:34:03Z", 1795656843000000000L)]
    [InlineData("2026-11-26T01:34:03.5Z", 1795656843500000000L)]
    [InlineData("2026-11-26T02:34:03.496986243+01:00", 1795656843496986243L)]
    public void ParsesRfc3339Nanoseconds(string text, long nanos)
    {
        Assert.Equal(nanos, DockerTime.ParseUnixNanos(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("yesterday")]
    public void NeverAndGarbageParseToNull(string? text)
    {
        Assert.Null(DockerTime.ParseUnixNanos(text));
    }

    [Theory]
    [InlineData("2300-01-01T00:00:00Z")]   // once wrapped silently to 1715-06-13 (issue 15, finding 11)
    [InlineData("1600-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.999999999Z")]
    [InlineData("2262-04-11T23:47:16.854775808Z")] // one nanosecond past the largest Unix-nanosecond long
    public void TimesALongOfNanosecondsCannotHoldAreUnknownNotWrapped(string text)
    {
        Assert.Null(DockerTime.ParseUnixNanos(text));
    }

    [Fact]
    public void TheLastRepresentableNanosecondParsesAndEventSecondsPastItAreUnknown()
    {
        Assert.Equal(long.MaxValue, DockerTime.ParseUnixNanos("2262-04-11T23:47:16.854775807Z"));
        Assert.Null(DockerTime.EventNanos(null, 10_000_000_000L));
        Assert.Equal(5_000_000_000L, DockerTime.EventNanos(null, 5));
    }

    [Fact]
    public void FormatsSince()
    {
        Assert.Equal("1795656843.000000042", DockerTime.FormatSince(1795656843000000042L));
    }
}
