using System.Net;
using System.Text.Json;
using GorbLink.Docker.Engine;
using GorbLink.Docker.Tests.Support;

namespace GorbLink.Docker.Tests.Engine;

/// <summary>GorbLink's own Engine API client: against the real engine (unix socket) and the scripted one (TCP).</summary>
public sealed class DockerEngineClientTests(DockerEnvironment env)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListsAndInspectsARealContainerWithTheFieldsTheMapperReads()
    {
        env.RequireDocker();
        await using var container = TestContainers.Busybox(env, "client-inspect").WithPortBinding(8080, true).Build();
        await container.StartAsync(Ct);
        var client = env.Connection.Client;

        var listed = await client.ListContainersAsync(Ct);
        Assert.Contains(listed, c => c.Id == container.Id);

        var inspect = await client.InspectContainerAsync(container.Id, Ct);
        Assert.NotNull(inspect);
        Assert.Equal(container.Id, inspect.Id);
        Assert.Equal("/" + container.Name.TrimStart('/'), inspect.Name);
        Assert.Equal("running", inspect.State?.Status);
        Assert.True(inspect.State!.Running);
        Assert.Equal(DockerEnvironment.Image, inspect.Config?.Image);
        Assert.Equal(env.RunId, inspect.Config!.Labels![DockerEnvironment.TestLabel]);
        Assert.Contains("8080/tcp", inspect.Config.ExposedPorts!.Keys);
        var binding = Assert.Single(inspect.NetworkSettings!.Ports!["8080/tcp"]!, b => b.HostIp is "0.0.0.0" or "");
        Assert.Equal(container.GetMappedPublicPort(8080).ToString(System.Globalization.CultureInfo.InvariantCulture), binding.HostPort);
        Assert.True(IPAddress.TryParse(inspect.NetworkSettings.Networks!["bridge"]!.IPAddress, out _));
        Assert.Equal("bridge", ContainerMapper.NormalizeNetworkMode(inspect.HostConfig?.NetworkMode));
        // What the test side's Docker.DotNet reads from the same answer.
        var reference = await env.Client.Containers.InspectContainerAsync(container.Id, Ct);
        Assert.Equal(reference.State!.StartedAt, inspect.State.StartedAt);
        Assert.Equal(new DateTimeOffset(reference.Created.ToUniversalTime()), ContainerMapper.Map(inspect).Created);
    }

    [Fact]
    public async Task InspectOfAContainerTheEngineDoesNotHaveIsNull()
    {
        env.RequireDocker();
        Assert.Null(await env.Connection.Client.InspectContainerAsync(new string('0', 64), Ct));
    }

    [Fact]
    public async Task AnEngineErrorCarriesTheEnginesOwnMessageAndTheOperation()
    {
        env.RequireDocker();
        // A version the engine does not speak: it answers 400 with its reason.
        using var client = DockerEngineClient.Create(env.Endpoint, new Version(1, 99), TimeSpan.FromSeconds(10));
        var ex = await Assert.ThrowsAsync<DockerEngineApiException>(() => client.ListContainersAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Contains("1.99", ex.EngineMessage, StringComparison.Ordinal);
        Assert.StartsWith("Docker Engine refused to list containers: HTTP 400: ", ex.Message, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(ex.Message);
    }

    [Fact]
    public async Task ReadsTheRealEnginesVersionAndClockUnversionedAndPinned()
    {
        env.RequireDocker();
        using var probe = DockerEngineClient.Create(env.Endpoint, null, TimeSpan.FromSeconds(10));
        var version = await probe.GetVersionAsync(Ct);
        Assert.Equal(env.Connection.EngineApiVersion.ToString(2), version.ApiVersion);
        Assert.False(string.IsNullOrEmpty(version.MinApiVersion));
        var info = await env.Connection.Client.GetSystemInfoAsync(Ct);
        Assert.NotNull(DockerTime.ParseUnixNanos(info.SystemTime));
    }

    [Fact]
    public async Task EventStreamMessagesArriveInOrderBlankLinesAndJsonSeqSeparatorsSkippedAndTheEndReturns()
    {
        await using var engine = new FakeDockerEngine();
        engine.EventsForStream = _ =>
        [
            """{"Type":"container","Action":"start","Actor":{"ID":"a","Attributes":{"name":"x"}},"scope":"local","time":1,"timeNano":1000000001}""",
            "",
            "\u001e" + """{"Type":"network","Action":"connect","Actor":{"ID":"n","Attributes":{"container":"a"}},"time":2,"timeNano":2000000002}""",
            // Fields removed in API 1.52 (status, id, from) are ignored when an older engine still sends them.
            """{"status":"die","id":"a","from":"img","Type":"container","Action":"die","Actor":{"ID":"a"},"time":3,"timeNano":3000000003}""",
        ];
        using var client = DockerEngineClient.Create(engine.Endpoint, new Version(1, 45), TimeSpan.FromSeconds(10));
        var received = new List<DockerEvent>();
        await client.MonitorEventsAsync("1.5", ["container", "network"], received.Add, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(["start", "connect", "die"], received.Select(e => e.Action));
        Assert.Equal("a", received[1].Actor!.Attributes!["container"]);
        Assert.Equal([1_000_000_001L, 2_000_000_002L, 3_000_000_003L], received.Select(e => e.TimeNano));
        var request = Uri.UnescapeDataString(engine.Requests.Single(r => r.Contains("/events", StringComparison.Ordinal)));
        Assert.Equal("/v1.45/events?since=1.5&filters={\"type\":[\"container\",\"network\"]}", request);
    }

    [Fact]
    public async Task AMessageThatIsNotJsonFailsTheStream()
    {
        await using var engine = new FakeDockerEngine();
        engine.EventsForStream = _ => ["""{"Type":"container","Action":"start","Actor":{"ID":"a"}}""", "<html>proxy error</html>"];
        using var client = DockerEngineClient.Create(engine.Endpoint, null, TimeSpan.FromSeconds(10));
        var received = new List<DockerEvent>();
        await Assert.ThrowsAnyAsync<JsonException>(() => client.MonitorEventsAsync(null, ["container"], received.Add, Ct));
        Assert.Single(received);
    }

    [Theory]
    [InlineData("""{"message":"No such container: abc"}""", "No such container: abc")]
    [InlineData("""  {"message":"client version 1.99 is too new"}\n""", "client version 1.99 is too new")]
    [InlineData("""{"error":"other shape"}""", """{"error":"other shape"}""")]
    [InlineData("<html><body>502 Bad Gateway</body></html>", "<html><body>502 Bad Gateway</body></html>")]
    [InlineData("{not json", "{not json")]
    [InlineData("", "")]
    public void ErrorMessageIsTheEnginesMessageElseTheBody(string body, string expected)
    {
        Assert.Equal(expected, DockerEngineClient.ErrorMessage(body.Replace("\\n", "\n", StringComparison.Ordinal)));
    }

    [Fact]
    public void ALongForeignErrorBodyIsShortened()
    {
        var message = DockerEngineClient.ErrorMessage(new string('x', 5000));
        Assert.Equal(201, message.Length);
        Assert.EndsWith("…", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AUnixSocketWhosePathHasASpaceIsReachedAtThatPath()
    {
        var dir = Directory.CreateTempSubdirectory("gorblink engine ");
        try
        {
            var path = Path.Combine(dir.FullName, "docker.sock");
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                System.Net.Sockets.ProtocolType.Unspecified);
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            var answered = AnswerOnceAsync(listener, """{"Version":"27.0.0","ApiVersion":"1.46","MinAPIVersion":"1.24"}""");

            var endpoint = DockerEndpoint.Resolve(path, null); // a bare path, as --docker-host takes it
            using var client = DockerEngineClient.Create(endpoint, null, TimeSpan.FromSeconds(10));
            var version = await client.GetVersionAsync(Ct);
            Assert.Equal("1.46", version.ApiVersion);
            Assert.StartsWith("GET /version HTTP/1.1", await answered, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Accepts one connection, reads one request head, answers 200 with <paramref name="json"/>; returns the head.</summary>
    private static async Task<string> AnswerOnceAsync(System.Net.Sockets.Socket listener, string json)
    {
        using var connection = await listener.AcceptAsync(Ct);
        await using var stream = new System.Net.Sockets.NetworkStream(connection);
        var head = await RawHttp.ReadRequestHeadAsync(stream, Ct) ?? "";
        var body = System.Text.Encoding.UTF8.GetBytes(json);
        var response = System.Text.Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(response.Concat(body).ToArray(), Ct);
        return head;
    }

    [Fact]
    public async Task TheTcpConnectorTurnsOnKeepaliveProbes()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await using var stream = await DockerEngineClient.ConnectTcpAsync(new DnsEndPoint("127.0.0.1", port), Ct);
            var socket = Assert.IsType<System.Net.Sockets.NetworkStream>(stream).Socket;
            Assert.Equal(1, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.KeepAlive)!);
            Assert.Equal(30, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveTime)!);
            Assert.Equal(10, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveInterval)!);
            Assert.Equal(3, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveRetryCount)!);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task InspectOfAnIdTheScriptedEngineDoesNotHaveIsNull()
    {
        await using var engine = new FakeDockerEngine();
        using var client = DockerEngineClient.Create(engine.Endpoint, new Version(1, 45), TimeSpan.FromSeconds(10));
        Assert.Null(await client.InspectContainerAsync("f00", Ct));
    }

    [Fact]
    public async Task AnOrdinaryRequestThatStallsTimesOutAsAnUnavailableEngine()
    {
        await using var engine = new FakeDockerEngine();
        var release = new TaskCompletionSource();
        engine.BeforeList = _ => release.Task;
        using var client = DockerEngineClient.Create(engine.Endpoint, new Version(1, 45), TimeSpan.FromMilliseconds(300));
        try
        {
            var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ListContainersAsync(Ct));
            Assert.False(Ct.IsCancellationRequested);
            Assert.True(DockerConnector.IsUnavailable(ex, Ct));
            Assert.Equal($"Docker Engine at {engine.Endpoint} is unavailable: request timed out", DockerConnector.Unavailable(engine.Endpoint, ex).Message);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task TheEventStreamOutlivesTheRequestTimeout()
    {
        await using var engine = new FakeDockerEngine { KeepStreamsOpen = true };
        engine.EventsForStream = _ => ["""{"Type":"container","Action":"start","Actor":{"ID":"a"},"time":1,"timeNano":1000000000}"""];
        using var client = DockerEngineClient.Create(engine.Endpoint, new Version(1, 45), TimeSpan.FromMilliseconds(200));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var received = new List<DockerEvent>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        stop.CancelAfter(TimeSpan.FromMilliseconds(1500));
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.MonitorEventsAsync(null, ["container"], received.Add, stop.Token));
        // Ended by our own cancellation, not by the 200 ms request timeout.
        Assert.True(stop.IsCancellationRequested);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(1400), $"the stream ended after {started.Elapsed}: {ex.Message}");
        Assert.Single(received);
    }

    [Fact]
    public async Task AnEventRequestWhoseHeadersNeverComeTimesOut()
    {
        // The kernel completes the connection from the listen backlog; nobody ever reads the request or answers it.
        var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var endpoint = new Uri($"tcp://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
            using var client = DockerEngineClient.Create(endpoint, new Version(1, 45), TimeSpan.FromMilliseconds(300));
            var monitor = client.MonitorEventsAsync(null, ["container"], _ => { }, Ct);
            Assert.Same(monitor, await Task.WhenAny(monitor, Task.Delay(TimeSpan.FromSeconds(10), Ct)));
            var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => monitor);
            Assert.False(Ct.IsCancellationRequested);
            Assert.True(DockerConnector.IsUnavailable(ex, Ct));
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public void ALongErrorBodyIsNeverCutInsideASurrogatePair()
    {
        var message = DockerEngineClient.ErrorMessage(new string('x', 199) + "😀" + new string('y', 50));
        Assert.Equal(new string('x', 199) + "…", message);
    }

    [Fact]
    public void ANamedPipeEndpointIsRefusedNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => DockerEngineClient.Create(new Uri("npipe:////./pipe/docker_engine"), null, TimeSpan.FromSeconds(1)));
        Assert.Contains("npipe", ex.Message, StringComparison.Ordinal);
    }
}
