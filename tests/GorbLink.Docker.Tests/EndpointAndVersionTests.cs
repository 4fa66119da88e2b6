using GorbLink.Docker.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Docker.Tests;

public sealed class DockerEndpointTests
{
    [Theory]
    [InlineData("unix:///run/flag.sock", "tcp://env:2375", "unix:///run/flag.sock")] // the flag wins
    [InlineData(null, "tcp://env:2375", "tcp://env:2375/")] // then DOCKER_HOST
    [InlineData("", "unix:///run/env.sock", "unix:///run/env.sock")]
    [InlineData("  ", null, "unix:///var/run/docker.sock")] // then the default
    [InlineData(null, "", "unix:///var/run/docker.sock")]
    [InlineData("/run/bare.sock", null, "unix:///run/bare.sock")] // a bare path is a unix socket
    [InlineData(null, "https://docker.example:2376", "https://docker.example:2376/")]
    public void ResolveOrder(string? flag, string? env, string expected)
    {
        Assert.Equal(new Uri(expected), DockerEndpoint.Resolve(flag, env));
    }

    [Theory]
    [InlineData("ssh://user@host")]
    [InlineData("not a uri")]
    [InlineData("unix://")]
    [InlineData("ftp://host")]
    public void BadEndpointsAreRejectedWithTheSourceNamed(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => DockerEndpoint.Resolve(value, null));
        Assert.Contains("--docker-host", ex.Message, StringComparison.Ordinal);
        var fromEnv = Assert.Throws<ArgumentException>(() => DockerEndpoint.Resolve(null, value));
        Assert.Contains("DOCKER_HOST", fromEnv.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveReadsTheProcessEnvironment()
    {
        // Only checks the overload wiring; the value depends on the machine.
        var expected = DockerEndpoint.Resolve(null, Environment.GetEnvironmentVariable("DOCKER_HOST"));
        Assert.Equal(expected, DockerEndpoint.Resolve(null));
    }
}

public sealed class DockerApiVersionTests
{
    [Theory]
    [InlineData("20.10.24", "1.41", "1.12", "1.41")] // Debian bookworm: our floor
    [InlineData("26.1.5", "1.45", "1.24", "1.45")] // Debian trixie, the test engine
    [InlineData("29.0.0", "1.52", "1.44", "1.52")]
    [InlineData("29.4.1", "1.54", "1.44", "1.54")] // what our models are generated from
    [InlineData("30.0.0", "1.56", "1.44", "1.54")] // newer engine: we speak our max
    [InlineData("29.3.0", "1.54", null, "1.54")] // no minimum reported
    public void NegotiatesMinOfEngineMaxAndOurs(string engine, string max, string? min, string expected)
    {
        Assert.Equal(Version.Parse(expected), DockerApiVersions.Negotiate(engine, max, min));
    }

    [Theory]
    [InlineData("19.03.15", "1.40", "1.12")]
    [InlineData("1.13.1", "1.26", "1.12")]
    public void RefusesAnEngineBelow141(string engine, string max, string min)
    {
        var ex = Assert.Throws<DockerApiTooOldException>(() => DockerApiVersions.Negotiate(engine, max, min));
        Assert.Contains(engine, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"API {max}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1.41", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Version.Parse(max), ex.EngineApiVersion);
    }

    [Fact]
    public void RefusesAnEngineWhoseMinimumIsAboveOurs()
    {
        var ex = Assert.Throws<DockerApiTooNewException>(() => DockerApiVersions.Negotiate("40.0.0", "1.70", "1.60"));
        Assert.Contains("40.0.0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1.60", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.45", 1, 45)]
    [InlineData(" 1.9 ", 1, 9)]
    public void ParsesApiVersions(string text, int major, int minor)
    {
        Assert.Equal(new Version(major, minor), DockerApiVersions.ParseApiVersion(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1.45.2")]
    [InlineData("v1.45")]
    public void RejectsMalformedApiVersions(string? text)
    {
        Assert.Null(DockerApiVersions.ParseApiVersion(text));
        Assert.Throws<FormatException>(() => DockerApiVersions.Negotiate("x", text, "1.12"));
    }

    [Fact]
    public async Task ConnectorReportsAnAbsentSocketAsUnavailableNamingTheEndpoint()
    {
        var endpoint = new Uri("unix:///nonexistent/docker.sock");
        var ex = await Assert.ThrowsAsync<DockerUnavailableException>(() =>
            new DockerConnector(NullLogger<DockerConnector>.Instance).ConnectAsync(endpoint, TestContext.Current.CancellationToken));
        Assert.Equal("Docker Engine at unix:///nonexistent/docker.sock is unavailable: no socket at /nonexistent/docker.sock " +
                     "(is dockerd running, and is the socket mounted here?)", ex.Message);
        TestContext.Current.TestOutputHelper?.WriteLine(ex.Message);
    }

    [Fact]
    public async Task ConnectorReportsASocketNobodyListensOnAsStale()
    {
        var dir = Directory.CreateTempSubdirectory("gorblink-stale-");
        try
        {
            var path = Path.Combine(dir.FullName, "docker.sock");
            // Bound but never listening: what a dockerd that died without removing its socket leaves behind.
            using (var bound = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                       System.Net.Sockets.ProtocolType.Unspecified))
            {
                bound.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
                var ex = await Assert.ThrowsAsync<DockerUnavailableException>(() =>
                    new DockerConnector(NullLogger<DockerConnector>.Instance).ConnectAsync(new Uri("unix://" + path), TestContext.Current.CancellationToken));
                Assert.EndsWith($"is unavailable: nothing listens on {path} (a stale socket: is dockerd running?)", ex.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ConnectorReportsARefusedTcpPortAsUnavailable()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var endpoint = new Uri($"tcp://127.0.0.1:{port}");
        var ex = await Assert.ThrowsAsync<DockerUnavailableException>(() =>
            new DockerConnector(NullLogger<DockerConnector>.Instance).ConnectAsync(endpoint, TestContext.Current.CancellationToken));
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(ex.Message);
    }

    [Fact]
    public async Task ConnectorNegotiatesAgainstTheRealEngine()
    {
        var env = new DockerEnvironment();
        await env.InitializeAsync();
        try
        {
            env.RequireDocker();
            var c = env.Connection;
            Assert.True(c.ApiVersion >= DockerApiVersions.Minimum && c.ApiVersion <= DockerApiVersions.Maximum);
            Assert.Equal(c.EngineApiVersion < DockerApiVersions.Maximum ? c.EngineApiVersion : DockerApiVersions.Maximum, c.ApiVersion);
            Assert.False(string.IsNullOrEmpty(c.EngineVersion));
            // The pinned client really speaks that version (an unsupported one would get HTTP 400).
            var version = await c.Client.GetVersionAsync(TestContext.Current.CancellationToken);
            Assert.Equal(c.EngineApiVersion.ToString(2), version.ApiVersion);
        }
        finally
        {
            await env.DisposeAsync();
        }
    }
}

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
