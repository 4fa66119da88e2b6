using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GorbLink.Core.Reconcile;
using GorbLink.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Tests.Metrics;

/// <summary>The metrics server on a loopback port, spoken to over real HTTP.</summary>
public sealed class MetricsServerTests : IAsyncDisposable
{
    private readonly FakeProbe _probe = new();
    private readonly HttpClient _http = new();
    private MetricsRig? _rig;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly System.Collections.Concurrent.ConcurrentQueue<long> _scrapes = new();

    private async Task<Uri> StartAsync()
    {
        _rig = await MetricsRig.StartAsync(_probe, _scrapes.Enqueue);
        return _rig.Server.Address;
    }

    [Fact]
    public async Task EachMetricsScrapeReportsWhatItAllocatedAndHealthChecksDoNot()
    {
        var address = await StartAsync();
        using (var response = await _http.GetAsync(new Uri(address, "/healthz"), Token)) Assert.NotEqual(0, (int)response.StatusCode);
        Assert.Empty(_scrapes);
        using (var response = await _http.GetAsync(new Uri(address, "/metrics"), Token)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Reported once the answer is flushed, so the client may already have it: wait briefly.
        for (var i = 0; i < 100 && _scrapes.IsEmpty; i++) await Task.Delay(20, Token);
        var allocated = Assert.Single(_scrapes);
        Assert.True(allocated > 0, $"a scrape allocates (rendering the text): {allocated}");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_rig is not null) await _rig.DisposeAsync();
    }

    [Fact]
    public async Task MetricsAreServedAsPrometheusText()
    {
        var address = await StartAsync();
        Assert.NotEqual(0, address.Port);
        using var response = await _http.GetAsync(new Uri(address, "/metrics"), Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("0.0.4", response.Content.Headers.ContentType.Parameters.Single(p => p.Name == "version").Value);
        var body = await response.Content.ReadAsStringAsync(Token);
        Assert.Contains("# TYPE gorblink_ipvs_destination_bytes_total counter\n", body);
        Assert.Contains("gorblink_docker_connected{} 1\n", body);
    }

    [Fact]
    public async Task HealthIs200WhenDockerIsConnectedAndTheLastPassSucceeded()
    {
        var address = await StartAsync();
        using var response = await _http.GetAsync(new Uri(address, "/healthz"), Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("problems").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("docker").GetProperty("connected").GetBoolean());
    }

    [Fact]
    public async Task HealthIs503NamingEachProblem()
    {
        var address = await StartAsync();
        _probe.Docker = _probe.Docker with { Connected = false, LastError = "connection refused" };
        _probe.Reconcile = _probe.Reconcile with { ConsecutiveFailures = 2, LastError = "netlink receive: No buffer space available (errno 105)" };
        using var response = await _http.GetAsync(new Uri(address, "/healthz"), Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("unhealthy", json.RootElement.GetProperty("status").GetString());
        var problems = json.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Equal(
        [
            "docker: not connected to unix:///var/run/docker.sock: connection refused",
            "reconcile: the last 2 passes failed: netlink receive: No buffer space available (errno 105)",
        ], problems);

        _probe.Docker = _probe.Docker with { Connected = true };
        _probe.Reconcile = new Core.Pipeline.SinkCounters();
        _probe.FirstPassDone = false;
        _probe.LoopState = ReconcileLoopState.WaitingForContainers;
        using var starting = await _http.GetAsync(new Uri(address, "/healthz"), Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, starting.StatusCode);
        Assert.Contains("no pass has completed yet (waiting for the initial container list)", await starting.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task OtherPathsAndMethodsAreRefused()
    {
        var address = await StartAsync();
        using var missing = await _http.GetAsync(new Uri(address, "/nope"), Token);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var post = await _http.PostAsync(new Uri(address, "/metrics"), new StringContent(""), Token);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Fact]
    public async Task AnAddressInUseIsAClearError()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await StartAsync();
        var e = await Assert.ThrowsAsync<MetricsListenException>(() => MetricsServer.StartAsync(new IPEndPoint(IPAddress.Loopback, port),
            _rig!.Export, null, NullLoggerFactory.Instance, Token));
        Assert.Contains($"--metrics-listen 127.0.0.1:{port}: cannot listen there", e.Message);
    }

    [Theory]
    [InlineData(":9100", "0.0.0.0:9100")]
    [InlineData("127.0.0.1:0", "127.0.0.1:0")]
    [InlineData("[::1]:9100", "[::1]:9100")]
    [InlineData("[::]:9100", "[::]:9100")]
    [InlineData("localhost:9100", "127.0.0.1:9100")]
    public void ListenAddressesParse(string text, string expected)
    {
        Assert.True(MetricsServer.TryParseListen(text, out var endpoint, out var error), error);
        Assert.Equal(expected, endpoint.ToString());
    }

    [Theory]
    [InlineData("9100")]
    [InlineData("host:9100")]
    [InlineData("::1:9100")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("127.0.0.1:")]
    public void BadListenAddressesAreRefused(string text) =>
        Assert.False(MetricsServer.TryParseListen(text, out _, out _));
}
