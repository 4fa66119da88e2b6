using System.Net;
using System.Text;
using System.Text.Json;
using GorbLink.Ipvs;
using GorbLink.Remote.Tests.Support;

namespace GorbLink.Remote.Tests.Server;

/// <summary>
/// `gorblink serve` against GORB's API as gorb-protocol.md describes it: every route, status code and body shape, over
/// real loopback HTTP; and every bad request is a 4xx naming the field, with the kernel untouched.
/// </summary>
public sealed class ServeContractTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;

    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.1.0.1"), 80);

    public async ValueTask InitializeAsync() => _daemon = await TestDaemon.CreateAsync();

    public async ValueTask DisposeAsync() => await _daemon.DisposeAsync();

    private FakeIpvsClient Kernel => _daemon.Kernel;

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(string method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await _daemon.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, text, response);
    }

    private async Task<string> OkAsync(string method, string path, string? body = null)
    {
        var (status, text, _) = await SendAsync(method, path, body);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {text}");
        return text;
    }

    private async Task CreateWebAsync(string body = """{"host":"","port":80,"protocol":"tcp","method":"","flags":"","persistent":false}""") =>
        await OkAsync("PUT", "/service/web-80-tcp", body);

    private static string ErrorOf(string body)
    {
        using var document = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        Assert.Single(document.RootElement.EnumerateObject());
        return document.RootElement.GetProperty("error").GetString()!;
    }

    [Fact]
    public async Task PutServiceAsGorbDockerLinkSendsItCreatesItOnTheDefaultAddressWithWrr()
    {
        var (status, body, response) = await SendAsync("PUT", "/service/web-80-tcp",
            """{"host":"","port":80,"protocol":"tcp","method":"","flags":"","persistent":false}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("", body);
        var service = Kernel.Find(Web);
        Assert.NotNull(service);
        Assert.Equal("wrr", service.Spec.Scheduler);
        Assert.Equal(0u, service.Spec.PersistenceTimeout);
        _ = response;
    }

    [Fact]
    public async Task GetServiceListIsAJsonArrayOfIdsTabIndented()
    {
        var (_, empty, _) = await SendAsync("GET", "/service");
        Assert.Equal("[]", empty.Trim());
        await CreateWebAsync();
        await OkAsync("PUT", "/service/dns-53-udp", """{"host":"10.1.0.2","port":53,"protocol":"UDP"}""");

        var (status, body, response) = await SendAsync("GET", "/service");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["dns-53-udp", "web-80-tcp"], JsonSerializer.Deserialize<string[]>(body)!);
        Assert.Contains("\n\t\"", body, StringComparison.Ordinal);
        Assert.True(Kernel.Has(VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.1.0.2"), 53)));
    }

    [Fact]
    public async Task GetServiceShowsOptionsWithDefaultsHealthAndBackends()
    {
        await CreateWebAsync();
        await OkAsync("PUT", "/service/web-80-tcp/web-1-32768-tcp", """{"host":"10.0.0.5","port":32768,"weight":0,"method":"","pulse":null}""");

        var body = await OkAsync("GET", "/service/web-80-tcp");

        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal(["backends", "health", "options"], root.EnumerateObject().Select(p => p.Name).Order());
        var options = root.GetProperty("options");
        Assert.Equal("", options.GetProperty("host").GetString());
        Assert.Equal(80, options.GetProperty("port").GetInt32());
        Assert.Equal("tcp", options.GetProperty("protocol").GetString());
        Assert.Equal("wrr", options.GetProperty("method").GetString());
        Assert.Equal("", options.GetProperty("flags").GetString());
        Assert.False(options.GetProperty("persistent").GetBoolean());
        Assert.Equal(1.0, root.GetProperty("health").GetDouble());
        Assert.Equal(["web-1-32768-tcp"], root.GetProperty("backends").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task PutBackendWithWeight0GetsWeight100NatAndGetBackendShowsOptionsAndMetrics()
    {
        await CreateWebAsync();
        var body = await OkAsync("PUT", "/service/web-80-tcp/web-1-32768-tcp",
            """{"host":"10.0.0.5","port":32768,"weight":0,"method":"","pulse":null}""");
        Assert.Equal("", body);

        var destination = Kernel.Find(Web, new DestinationKey(IPAddress.Parse("10.0.0.5"), 32768));
        Assert.NotNull(destination);
        Assert.Equal(100, destination.Spec.Weight);
        Assert.Equal(ForwardMethod.Nat, destination.Spec.Forward);

        using var json = JsonDocument.Parse(await OkAsync("GET", "/service/web-80-tcp/web-1-32768-tcp"));
        var options = json.RootElement.GetProperty("options");
        Assert.Equal("10.0.0.5", options.GetProperty("host").GetString());
        Assert.Equal(32768, options.GetProperty("port").GetInt32());
        Assert.Equal(100, options.GetProperty("weight").GetInt32());
        Assert.Equal("nat", options.GetProperty("method").GetString());
        Assert.Equal("tcp", options.GetProperty("pulse").GetProperty("type").GetString());
        Assert.Equal("1m", options.GetProperty("pulse").GetProperty("interval").GetString());
        var metrics = json.RootElement.GetProperty("metrics");
        Assert.Equal(0, metrics.GetProperty("status").GetInt32());
        Assert.Equal(1.0, metrics.GetProperty("health").GetDouble());
        Assert.True(metrics.GetProperty("uptime").GetInt64() >= 0);
    }

    [Fact]
    public async Task DrAndTunnelForwardingAndUdpPulseNone()
    {
        await CreateWebAsync();
        await OkAsync("PUT", "/service/web-80-tcp/a", """{"host":"10.0.0.5","port":80,"method":"dr"}""");
        await OkAsync("PUT", "/service/web-80-tcp/b", """{"host":"10.0.0.6","port":80,"method":"ipip","pulse":{"type":"none","interval":"","args":null}}""");

        Assert.Equal(ForwardMethod.DirectRoute, Kernel.Find(Web, new DestinationKey(IPAddress.Parse("10.0.0.5"), 80))!.Spec.Forward);
        Assert.Equal(ForwardMethod.Tunnel, Kernel.Find(Web, new DestinationKey(IPAddress.Parse("10.0.0.6"), 80))!.Spec.Forward);
        using var json = JsonDocument.Parse(await OkAsync("GET", "/service/web-80-tcp/b"));
        Assert.Equal("none", json.RootElement.GetProperty("options").GetProperty("pulse").GetProperty("type").GetString());
    }

    [Fact]
    public async Task ConflictsAndNotFoundAnswer409And404WithAnErrorBody()
    {
        await CreateWebAsync();
        await OkAsync("PUT", "/service/web-80-tcp/web-1", """{"host":"10.0.0.5","port":32768}""");

        var (status, body, _) = await SendAsync("PUT", "/service/web-80-tcp", """{"port":80}""");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("web-80-tcp", ErrorOf(body), StringComparison.Ordinal);

        (status, body, _) = await SendAsync("PUT", "/service/other-80-tcp", """{"port":80}""");
        Assert.Equal(HttpStatusCode.Conflict, status); // same VIP:port under another ID (GORB: 500 from the kernel)
        Assert.Contains("web-80-tcp", ErrorOf(body), StringComparison.Ordinal);

        (status, body, _) = await SendAsync("PUT", "/service/web-80-tcp/web-1", """{"host":"10.0.0.6","port":1}""");
        Assert.Equal(HttpStatusCode.Conflict, status);
        ErrorOf(body);

        (status, body, _) = await SendAsync("PUT", "/service/nope/web-2", """{"host":"10.0.0.6","port":1}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("nope", ErrorOf(body), StringComparison.Ordinal);

        foreach (var (method, path) in new[]
                 {
                     ("GET", "/service/nope"), ("DELETE", "/service/nope"), ("GET", "/service/web-80-tcp/nope"),
                     ("DELETE", "/service/web-80-tcp/nope"), ("PATCH", "/service/nope"),
                 })
        {
            (status, body, _) = await SendAsync(method, path, method == "PATCH" ? """{"weight":1}""" : null);
            Assert.True(status == HttpStatusCode.NotFound, $"{method} {path}: {(int)status} {body}");
            ErrorOf(body);
        }

        // A backend is found by rsID only under its own service (GORB ignores the vsID there; GorbLink does not).
        await OkAsync("PUT", "/service/dns-53-udp", """{"port":53,"protocol":"udp"}""");
        (status, body, _) = await SendAsync("GET", "/service/dns-53-udp/web-1");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("web-80-tcp", ErrorOf(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatchBackendAppliesOnlyTheWeightAnd0IsAllowed()
    {
        await CreateWebAsync();
        await OkAsync("PUT", "/service/web-80-tcp/web-1", """{"host":"10.0.0.5","port":32768,"weight":50}""");
        var key = new DestinationKey(IPAddress.Parse("10.0.0.5"), 32768);
        Assert.Equal(50, Kernel.Find(Web, key)!.Spec.Weight);

        await OkAsync("PATCH", "/service/web-80-tcp/web-1", """{"host":"10.9.9.9","port":1,"weight":0,"method":"dr"}""");

        var destination = Kernel.Find(Web, key)!;
        Assert.Equal(0, destination.Spec.Weight);
        Assert.Equal(ForwardMethod.Nat, destination.Spec.Forward);
        using var json = JsonDocument.Parse(await OkAsync("GET", "/service/web-80-tcp/web-1"));
        Assert.Equal(0, json.RootElement.GetProperty("options").GetProperty("weight").GetInt32());
        Assert.Equal("10.0.0.5", json.RootElement.GetProperty("options").GetProperty("host").GetString());
    }

    [Fact]
    public async Task DeleteBackendThenServiceRemovesThemFromTheKernel()
    {
        await CreateWebAsync();
        await OkAsync("PUT", "/service/web-80-tcp/web-1", """{"host":"10.0.0.5","port":32768}""");
        await OkAsync("PUT", "/service/web-80-tcp/web-2", """{"host":"10.0.0.5","port":32769}""");

        Assert.Equal("", await OkAsync("DELETE", "/service/web-80-tcp/web-1"));
        Assert.False(Kernel.Has(Web, new DestinationKey(IPAddress.Parse("10.0.0.5"), 32768)));
        Assert.True(Kernel.Has(Web, new DestinationKey(IPAddress.Parse("10.0.0.5"), 32769)));

        Assert.Equal("", await OkAsync("DELETE", "/service/web-80-tcp"));
        Assert.False(Kernel.Has(Web));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync("GET", "/service/web-80-tcp/web-2")).Status);
        Assert.Equal("[]", (await OkAsync("GET", "/service")).Trim());
        // The backend's ID is free again.
        await CreateWebAsync();
        await OkAsync("PUT", "/service/web-80-tcp/web-2", """{"host":"10.0.0.5","port":32769}""");
    }

    [Fact]
    public async Task PersistentIsReallyAppliedWith300SOrTheGivenTimeout()
    {
        await OkAsync("PUT", "/service/a", """{"host":"10.1.0.1","port":80,"persistent":true}""");
        await OkAsync("PUT", "/service/b", """{"host":"10.1.0.1","port":81,"persistent":true,"persistence_timeout":60}""");

        Assert.Equal(300u, Kernel.Find(Web)!.Spec.PersistenceTimeout);
        Assert.Equal(60u, Kernel.Find(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.1.0.1"), 81))!.Spec.PersistenceTimeout);
        using var json = JsonDocument.Parse(await OkAsync("GET", "/service/a"));
        Assert.True(json.RootElement.GetProperty("options").GetProperty("persistent").GetBoolean());
        Assert.Equal(300, json.RootElement.GetProperty("options").GetProperty("persistence_timeout").GetInt32());
    }

    [Fact]
    public async Task PatchServiceChangesSchedulerFlagsAndPersistenceButNotTheEndpoint()
    {
        await CreateWebAsync();

        await OkAsync("PATCH", "/service/web-80-tcp", """{"method":"sh","flags":"sh-port|sh-fallback","persistent":true,"persistence_timeout":120}""");

        var spec = Kernel.Find(Web)!.Spec;
        Assert.Equal("sh", spec.Scheduler);
        Assert.Equal(ServiceFlags.Sched1 | ServiceFlags.Sched2, spec.Flags);
        Assert.Equal(120u, spec.PersistenceTimeout);
        using (var json = JsonDocument.Parse(await OkAsync("GET", "/service/web-80-tcp")))
        {
            Assert.Equal("sh", json.RootElement.GetProperty("options").GetProperty("method").GetString());
            Assert.Equal("sh-port|sh-fallback", json.RootElement.GetProperty("options").GetProperty("flags").GetString());
        }

        var before = Kernel.Dump();
        foreach (var (body, field) in new[]
                 {
                     ("""{"host":"10.1.0.9"}""", "host"), ("""{"port":81}""", "port"), ("""{"protocol":"udp"}""", "protocol"),
                     ("""{"method":"bogus"}""", "method"), ("""{"flags":"nope"}""", "flags"),
                 })
        {
            var (status, text, _) = await SendAsync("PATCH", "/service/web-80-tcp", body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {(int)status} {text}");
            Assert.StartsWith(field + ":", ErrorOf(text), StringComparison.Ordinal);
        }
        Assert.Equal(before, Kernel.Dump());

        await OkAsync("PATCH", "/service/web-80-tcp", """{"persistent":false}""");
        Assert.Equal(0u, Kernel.Find(Web)!.Spec.PersistenceTimeout);
    }

    public static TheoryData<string, string, string, string> BadRequests => new()
    {
        // route, body, field the message must start with, what it must say
        { "/service/web-80-tcp", """{"port":""", "", "invalid JSON" },
        { "/service/web-80-tcp", """not json""", "request body", "invalid JSON" },
        { "/service/web-80-tcp", """[1,2]""", "request body", "invalid JSON" },
        { "/service/web-80-tcp", "", "request body", "empty" },
        { "/service/web-80-tcp", "null", "request body", "null" },
        { "/service/web-80-tcp", """{"port":"80"}""", "port", "invalid JSON" },
        { "/service/web-80-tcp", """{"port":0}""", "port", "endpoint information is missing" },
        { "/service/web-80-tcp", """{"host":"10.1.0.1"}""", "port", "endpoint information is missing" },
        { "/service/web-80-tcp", """{"port":70000}""", "port", "1..65535" },
        { "/service/web-80-tcp", """{"port":80,"protocol":"sctp"}""", "protocol", "unknown" },
        { "/service/web-80-tcp", """{"port":80,"method":"fastest"}""", "method", "unknown scheduler" },
        { "/service/web-80-tcp", """{"port":80,"flags":"sh-port|turbo"}""", "flags", "turbo" },
        { "/service/web-80-tcp", """{"port":80,"persistent":"yes"}""", "persistent", "invalid JSON" },
        { "/service/web-80-tcp", """{"port":80,"host":"not an address!"}""", "host", "neither an IP address nor a DNS name" },
        { "/service/web-80-tcp", """{"port":80,"persistence_timeout":0}""", "persistence_timeout", "1.." },
        { "/service/svc/rs", """{"port":32768}""", "host", "endpoint information is missing" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":0}""", "port", "endpoint information is missing" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":-1}""", "port", "1..65535" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"method":"teleport"}""", "method", "forwarding method is unknown" },
        { "/service/svc/rs", """{"host":"fd00::5","port":80}""", "host", "incompatible address families" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"weight":3000000000}""", "weight", "2147483647" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"pulse":{"type":"icmp"}}""", "pulse.type", "unknown" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"pulse":{"type":"tcp","interval":"5 minutes"}}""", "pulse.interval", "invalid interval format" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"pulse":{"type":"tcp","interval":"0s"}}""", "pulse.interval", "must be positive" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"pulse":{"type":"http","args":{"expect":"two hundred"}}}""", "pulse.args.expect", "whole number" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"pulse":{"type":"http","args":{"port":99999}}}""", "pulse.args.port", "1..65535" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"pulse":{"type":"http","args":{"path":"health"}}}""", "pulse.args.path", "start with /" },
        { "/service/svc/rs", """{"host":"10.0.0.5","port":80,"pulse":"tcp"}""", "pulse", "invalid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestsAre400NamingTheFieldAndChangeNothing(string path, string body, string field, string says)
    {
        await OkAsync("PUT", "/service/svc", """{"host":"10.1.0.1","port":8080}""");
        var before = Kernel.Dump();
        var writes = Kernel.Writes;
        var list = await OkAsync("GET", "/service");

        var (status, text, _) = await SendAsync("PUT", path, body);

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {text}");
        var error = ErrorOf(text);
        Assert.StartsWith(field.Length == 0 ? "" : field + ":", error, StringComparison.Ordinal);
        Assert.Contains(says, error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, Kernel.Dump());
        Assert.Equal(writes, Kernel.Writes);
        Assert.Equal(list, await OkAsync("GET", "/service"));
    }

    [Fact]
    public async Task BadPatchOfABackendIs400NamingTheField()
    {
        await CreateWebAsync();
        await OkAsync("PUT", "/service/web-80-tcp/web-1", """{"host":"10.0.0.5","port":32768}""");
        var before = Kernel.Dump();

        foreach (var (body, field) in new[] { ("""{"weight":-1}""", "weight"), ("""{"weight":"heavy"}""", "weight"), ("""{"weight":""", "") })
        {
            var (status, text, _) = await SendAsync("PATCH", "/service/web-80-tcp/web-1", body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {(int)status} {text}");
            Assert.StartsWith(field, ErrorOf(text), StringComparison.Ordinal);
        }
        Assert.Equal(before, Kernel.Dump());
    }

    [Fact]
    public async Task OversizedBodyIs413AndChangesNothing()
    {
        var before = Kernel.Dump();
        var huge = """{"port":80,"host":"","flags":"" """ + new string(' ', 100 * 1024) + "}";

        var (status, text, _) = await SendAsync("PUT", "/service/web-80-tcp", huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.StartsWith("request body:", ErrorOf(text), StringComparison.Ordinal);
        Assert.Equal(before, Kernel.Dump());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync("GET", "/service/web-80-tcp")).Status);
    }

    [Fact]
    public async Task PulseArgsMayBeNumbersOrStrings()
    {
        await CreateWebAsync();

        await OkAsync("PUT", "/service/web-80-tcp/numbers",
            """{"host":"10.0.0.5","port":1,"pulse":{"type":"http","interval":"30s","args":{"method":"GET","path":"/health","expect":200,"port":8080}}}""");
        await OkAsync("PUT", "/service/web-80-tcp/strings",
            """{"host":"10.0.0.5","port":2,"pulse":{"type":"http","interval":"2m","args":{"expect":"204","port":"8081","host":"10.0.0.9"}}}""");

        using var json = JsonDocument.Parse(await OkAsync("GET", "/service/web-80-tcp/strings"));
        var pulse = json.RootElement.GetProperty("options").GetProperty("pulse");
        Assert.Equal("http", pulse.GetProperty("type").GetString());
        Assert.Equal("2m", pulse.GetProperty("interval").GetString());
        Assert.Equal("204", pulse.GetProperty("args").GetProperty("expect").GetString());
    }

    [Fact]
    public async Task AnIpvsFailureIs500ErrorWhileCallingIntoIpvs()
    {
        Kernel.Refuse = op => op is IpvsOperation.CreateService ? 12 : 0; // ENOMEM

        var (status, text, _) = await SendAsync("PUT", "/service/web-80-tcp", """{"port":80}""");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.StartsWith("error while calling into IPVS", ErrorOf(text), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync("GET", "/service/web-80-tcp")).Status);
    }

    [Fact]
    public async Task AnEntrySomeoneElseMadeInTheKernelIs409AndLeftAlone()
    {
        var foreign = new GorbLink.Core.Desired.DesiredService(new VirtualService(Web, new VirtualServiceSpec { Scheduler = "rr" }), []);
        Kernel.AddForeign(foreign);

        var (status, text, _) = await SendAsync("PUT", "/service/web-80-tcp", """{"port":80}""");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("not created by this daemon", ErrorOf(text), StringComparison.Ordinal);
        Assert.Equal("rr", Kernel.Find(Web)!.Spec.Scheduler);
    }

    [Fact]
    public async Task MetricsArePrometheusTextWithGorbsNamesAndLabels()
    {
        await CreateWebAsync();
        await OkAsync("PUT", "/service/web-80-tcp/web-1-32768-tcp", """{"host":"10.0.0.5","port":32768,"weight":7}""");

        var (status, text, response) = await SendAsync("GET", "/metrics");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE gorb_service_health gauge", text, StringComparison.Ordinal);
        var lines = PrometheusScrape.Lines(text);
        (string, string)[] service = [("name", "web-80-tcp"), ("host", "10.1.0.1"), ("port", "80"), ("protocol", "tcp")];
        Assert.Equal(1, PrometheusScrape.Value(lines, "gorb_service_health", service));
        Assert.Equal(1, PrometheusScrape.Value(lines, "gorb_service_backends", service));
        (string, string)[] labels = [("service_name", "web-80-tcp"), ("name", "web-1-32768-tcp"), ("host", "10.0.0.5"), ("port", "32768")];
        Assert.Equal(1, PrometheusScrape.Value(lines, "gorb_service_backend_health", labels));
        Assert.Equal(0, PrometheusScrape.Value(lines, "gorb_service_backend_status", labels));
        Assert.Equal(7, PrometheusScrape.Value(lines, "gorb_service_backend_weight", labels));
        Assert.NotNull(PrometheusScrape.Value(lines, "gorb_service_backend_uptime_seconds", labels));
    }

    [Fact]
    public async Task FieldNamesAreMatchedCaseInsensitivelyAsGoDoes()
    {
        await OkAsync("PUT", "/service/web-80-tcp", """{"Host":"10.1.0.1","PORT":80,"Method":"rr","unknown_field":1}""");

        Assert.Equal("rr", Kernel.Find(Web)!.Spec.Scheduler);
    }
}
