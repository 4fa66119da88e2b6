using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GorbLink.Ipvs;
using GorbLink.Remote.Tests.Support;

namespace GorbLink.Remote.Tests.Server;

/// <summary>`gorblink serve` across restarts (adoption, -f), its health checks, and the bearer token.</summary>
public sealed class ServeLifecycleTests
{
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.1.0.1"), 80);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task PutAsync(TestDaemon daemon, string path, string body, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Put, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await daemon.Http.SendAsync(request, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    [Fact]
    public async Task ARestartedDaemonAdoptsItsEntriesWithoutFlushingAndLeavesForeignOnesAlone()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await PutAsync(daemon, "/service/web-80-tcp", """{"port":80,"method":"rr","persistent":true}""");
        await PutAsync(daemon, "/service/web-80-tcp/web-1", """{"host":"10.0.0.5","port":32768,"weight":30}""");
        var foreign = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.9.9.9"), 443);
        daemon.Kernel.AddForeign(new GorbLink.Core.Desired.DesiredService(new VirtualService(foreign, VirtualServiceSpec.Default), []));
        var before = daemon.Kernel.Dump();

        await daemon.StopAsync();
        daemon.Kernel.ResetCounts();
        await daemon.StartAsync();

        Assert.Equal(before, daemon.Kernel.Dump());
        Assert.Equal(0, daemon.Kernel.Writes);
        var list = JsonSerializer.Deserialize<string[]>(await daemon.Http.GetStringAsync("/service", Ct));
        Assert.Equal(["web-80-tcp"], list!);
        using var backend = JsonDocument.Parse(await daemon.Http.GetStringAsync("/service/web-80-tcp/web-1", Ct));
        Assert.Equal(30, backend.RootElement.GetProperty("options").GetProperty("weight").GetInt32());
        // Adopted entries are fully managed again: their IDs conflict, and they can be deleted.
        using var again = await daemon.Http.PutAsync("/service/web-80-tcp", new StringContent("""{"port":80}"""), Ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var delete = await daemon.Http.DeleteAsync("/service/web-80-tcp", Ct);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.False(daemon.Kernel.Has(Web));
        Assert.True(daemon.Kernel.Has(foreign));
    }

    [Fact]
    public async Task EntriesGoneFromTheKernelWhileTheDaemonWasDownAreForgotten()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await PutAsync(daemon, "/service/web-80-tcp", """{"port":80}""");
        await daemon.StopAsync();
        await daemon.Kernel.FlushAsync(Ct);

        await daemon.StartAsync();

        Assert.Equal("[]", (await daemon.Http.GetStringAsync("/service", Ct)).Trim());
        await PutAsync(daemon, "/service/web-80-tcp", """{"port":80}""");
        Assert.True(daemon.Kernel.Has(Web));
    }

    [Fact]
    public async Task FlushOnStartEmptiesTheKernelAndTheDaemon()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await PutAsync(daemon, "/service/web-80-tcp", """{"port":80}""");
        daemon.Kernel.AddForeign(new GorbLink.Core.Desired.DesiredService(
            new VirtualService(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.9.9.9"), 443), VirtualServiceSpec.Default), []));
        await daemon.StopAsync();

        await daemon.StartAsync(flush: true);

        Assert.Equal(0, daemon.Kernel.ServiceCount);
        Assert.Equal("[]", (await daemon.Http.GetStringAsync("/service", Ct)).Trim());
    }

    [Fact]
    public async Task ATokenIsRequiredWhenSet()
    {
        await using var daemon = await TestDaemon.CreateAsync(token: "s3cret");
        using var anonymous = new HttpClient { BaseAddress = daemon.BaseAddress };

        using var refused = await anonymous.GetAsync("/service", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("bearer token", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var ok = await daemon.Http.GetAsync("/service", Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task ATcpCheckSetsWeight0WhenTheBackendIsDownAndRestoresWeight1WhenItIsUp()
    {
        await using var daemon = await TestDaemon.CreateAsync(pulses: true);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepting = AcceptForeverAsync(listener);
        var key = new DestinationKey(IPAddress.Loopback, (ushort)port);
        var service = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("127.0.0.10"), 80);
        await PutAsync(daemon, "/service/web-80-tcp", """{"host":"127.0.0.10","port":80}""");
        // Weight 1: GORB's recovery formula truncates it to 0 (#47); here it comes back.
        await PutAsync(daemon, "/service/web-80-tcp/web-1", $$$"""{"host":"127.0.0.1","port":{{{port}}},"weight":1,"pulse":{"type":"tcp","interval":"1s"}}""");

        await Eventually.TrueAsync(async () => PrometheusScrape.Value(PrometheusScrape.Lines(await daemon.Http.GetStringAsync("/metrics", Ct)), "gorb_service_backend_health",
                ("service_name", "web-80-tcp"), ("name", "web-1"), ("host", "127.0.0.1"), ("port", port.ToString(System.Globalization.CultureInfo.InvariantCulture))) == 1,
            "a first successful check");
        listener.Stop();
        await accepting;

        await Eventually.TrueAsync(() => daemon.Kernel.Find(service, key)!.Spec.Weight == 0, "weight 0 while the backend refuses connections");
        using (var down = JsonDocument.Parse(await daemon.Http.GetStringAsync("/service/web-80-tcp/web-1", Ct)))
        {
            Assert.Equal(1, down.RootElement.GetProperty("metrics").GetProperty("status").GetInt32());
            Assert.Equal(1, down.RootElement.GetProperty("options").GetProperty("weight").GetInt32()); // the configured weight
            Assert.Equal(0, down.RootElement.GetProperty("metrics").GetProperty("uptime").GetInt64());
        }

        var again = new TcpListener(IPAddress.Loopback, port);
        again.Start();
        var acceptingAgain = AcceptForeverAsync(again);
        try
        {
            await Eventually.TrueAsync(() => daemon.Kernel.Find(service, key)!.Spec.Weight == 1, "weight 1 again once the backend answers");
            using var up = JsonDocument.Parse(await daemon.Http.GetStringAsync("/service/web-80-tcp/web-1", Ct));
            Assert.Equal(0, up.RootElement.GetProperty("metrics").GetProperty("status").GetInt32());
            var health = up.RootElement.GetProperty("metrics").GetProperty("health").GetDouble();
            Assert.InRange(health, 0.01, 0.99);
        }
        finally
        {
            again.Stop();
            await acceptingAgain;
        }
    }

    [Fact]
    public async Task AnHttpCheckComparesTheStatusWithExpectGivenAsANumberOrAString()
    {
        await using var daemon = await TestDaemon.CreateAsync(pulses: true);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = AnswerHttpAsync(listener, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        var service = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("127.0.0.10"), 80);
        try
        {
            await PutAsync(daemon, "/service/web-80-tcp", """{"host":"127.0.0.10","port":80}""");
            await PutAsync(daemon, "/service/web-80-tcp/as-number",
                $$$$"""{"host":"127.0.0.1","port":{{{{port}}}},"weight":5,"pulse":{"type":"http","interval":"1s","args":{"path":"/health","expect":204}}}""");
            await PutAsync(daemon, "/service/web-80-tcp/as-string",
                $$$$"""{"host":"127.0.0.2","port":1,"weight":5,"pulse":{"type":"http","interval":"1s","args":{"host":"127.0.0.1","port":"{{{{port}}}}","expect":"204"}}}""");
            await PutAsync(daemon, "/service/web-80-tcp/wrong-status",
                $$$$"""{"host":"127.0.0.3","port":1,"weight":5,"pulse":{"type":"http","interval":"1s","args":{"host":"127.0.0.1","port":{{{{port}}}}}}}""");

            await Eventually.TrueAsync(() => daemon.Kernel.Find(service, new DestinationKey(IPAddress.Parse("127.0.0.3"), 1))!.Spec.Weight == 0,
                "the backend whose check expects 200 but gets 204 is down");
            await Task.Delay(2500, Ct); // a few more check rounds
            Assert.Equal(5, daemon.Kernel.Find(service, new DestinationKey(IPAddress.Loopback, (ushort)port))!.Spec.Weight);
            Assert.Equal(5, daemon.Kernel.Find(service, new DestinationKey(IPAddress.Parse("127.0.0.2"), 1))!.Spec.Weight);
            using var up = JsonDocument.Parse(await daemon.Http.GetStringAsync("/service/web-80-tcp/as-string", Ct));
            Assert.Equal(0, up.RootElement.GetProperty("metrics").GetProperty("status").GetInt32());
        }
        finally
        {
            listener.Stop();
            await serving;
        }
    }

    private static async Task AcceptForeverAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private static async Task AnswerHttpAsync(TcpListener listener, string response)
    {
        var bytes = Encoding.ASCII.GetBytes(response);
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync();
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            var stream = client.GetStream();
                            await RawHttp.ReadRequestHeadAsync(stream, CancellationToken.None);
                            await stream.WriteAsync(bytes);
                        }
                        catch (IOException)
                        {
                        }
                    }
                });
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
