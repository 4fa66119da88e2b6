using GorbLink.Docker.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Docker.Tests;

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
