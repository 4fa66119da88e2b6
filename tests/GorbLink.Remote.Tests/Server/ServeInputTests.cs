using System.Net;
using System.Text;
using System.Text.Json;
using GorbLink.Ipvs;
using GorbLink.Remote.Server;
using GorbLink.Remote.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Remote.Tests.Server;

/// <summary>
/// Inputs the fuzzing campaign of issue 15 found `serve` mishandling: damaged state files, invalid UTF-8, bad pulse
/// hosts, addresses and weights the labels refuse, and a drain lost across a restart. Each must be a clear refusal.
/// </summary>
public sealed class ServeInputTests
{
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.1.0.1"), 80);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(TestDaemon daemon, string method, string path, HttpContent? content)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = content };
        using var response = await daemon.Http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static Task<(HttpStatusCode Status, string Body)> SendAsync(TestDaemon daemon, string method, string path, string body) =>
        SendAsync(daemon, method, path, new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task OkAsync(TestDaemon daemon, string method, string path, string body)
    {
        var (status, text) = await SendAsync(daemon, method, path, body);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {text}");
    }

    private static string ErrorOf(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("error").GetString()!;
    }

    [Theory]
    [InlineData("""{"version":1,"services":[null]}""", "services[0] is null")]
    [InlineData("""{"version":1,"backends":[null]}""", "backends[0] is null")]
    [InlineData("""{"version":1,"services":[{"id":"web","address":"10.1.0.1","options":{"port":80}},{"id":"web","address":"10.1.0.1","options":{"port":80}}]}""", "listed twice")]
    [InlineData("""{"version":1,"backends":[{"id":"b","service":"web"},{"id":"b","service":"web"}]}""", "listed twice")]
    [InlineData("null", "null")]
    [InlineData("{", "damaged")]
    public async Task ADamagedStateFileIsTheTypedMoveItAwayError(string content, string says)
    {
        await using var daemon = await TestDaemon.CreateAsync(start: false);
        await daemon.Kernel.CreateServiceAsync(new VirtualService(Web, VirtualServiceSpec.Default), Ct);
        await File.WriteAllTextAsync(Path.Combine(daemon.StateDirectory, "serve-state.json"), content, Ct);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => daemon.StartAsync());

        Assert.Contains("is damaged", e.Message, StringComparison.Ordinal);
        Assert.Contains("move it away", e.Message, StringComparison.Ordinal);
        Assert.Contains(says, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("path")]
    [InlineData("host")]
    [InlineData("expect")]
    public async Task InvalidUtf8InPulseArgsIs400WithABody(string arg)
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await OkAsync(daemon, "PUT", "/service/web", """{"port":80}""");
        var bytes = new List<byte>(Encoding.ASCII.GetBytes($$"""{"host":"10.0.0.5","port":80,"pulse":{"type":"http","args":{"{{arg}}":"/"""));
        bytes.AddRange([0xFF, 0xFE]);
        bytes.AddRange(Encoding.ASCII.GetBytes("\"}}}"));
        var content = new ByteArrayContent([.. bytes]);
        content.Headers.ContentType = new("application/json");

        var (status, body) = await SendAsync(daemon, "PUT", "/service/web/rs", content);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith($"pulse.args.{arg}:", ErrorOf(body), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(daemon, "GET", "/service/web/rs", (HttpContent?)null)).Status);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("10.1")]
    [InlineData("exa mple.com")]
    [InlineData("fe80::1%1")]
    public async Task APulseHostThatIsNoAddressOrNameIs400(string host)
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await OkAsync(daemon, "PUT", "/service/web", """{"port":80}""");

        var (status, body) = await SendAsync(daemon, "PUT", "/service/web/rs",
            $$$$"""{"host":"10.0.0.5","port":80,"pulse":{"type":"http","args":{"host":"{{{{host}}}}"}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("pulse.args.host:", ErrorOf(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("255.255.255.255")]
    [InlineData("224.0.0.1")]
    [InlineData("ff02::1")]
    [InlineData("fe80::1%1")]
    [InlineData("10.1")]
    [InlineData("0x0a000001")]
    [InlineData("010.001.000.001")]
    public async Task PutServiceRefusesAVipTheLabelsRefuse(string vip)
    {
        await using var daemon = await TestDaemon.CreateAsync();

        var (status, body) = await SendAsync(daemon, "PUT", "/service/web", $$"""{"host":"{{vip}}","port":80}""");

        Assert.True(status == HttpStatusCode.BadRequest, $"{vip}: {(int)status} {body}");
        Assert.StartsWith("host:", ErrorOf(body), StringComparison.Ordinal);
        Assert.Equal(0, daemon.Kernel.ServiceCount);
        Assert.Equal("[]", (await daemon.Http.GetStringAsync("/service", Ct)).Trim());
    }

    [Theory]
    [InlineData("""{"host":"0x0a000001","port":80}""", "host")]
    [InlineData("""{"host":"10.1","port":80}""", "host")]
    [InlineData("""{"host":"224.0.0.1","port":80}""", "host")]
    [InlineData("""{"host":"10.0.0.5","port":80,"weight":70000}""", "weight")]
    public async Task PutBackendRefusesAddressesAndWeightsTheLabelsRefuse(string body, string field)
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await OkAsync(daemon, "PUT", "/service/web", """{"port":80}""");

        var (status, text) = await SendAsync(daemon, "PUT", "/service/web/rs", body);

        Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {(int)status} {text}");
        Assert.StartsWith(field + ":", ErrorOf(text), StringComparison.Ordinal);
        Assert.Equal(0, daemon.Kernel.DestinationCount);
    }

    [Fact]
    public async Task PatchBackendRefusesAWeightAbove65535()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        await OkAsync(daemon, "PUT", "/service/web", """{"port":80}""");
        await OkAsync(daemon, "PUT", "/service/web/rs", """{"host":"10.0.0.5","port":80,"weight":10}""");

        var (status, text) = await SendAsync(daemon, "PATCH", "/service/web/rs", """{"weight":70000}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("weight:", ErrorOf(text), StringComparison.Ordinal);
        Assert.Equal(10, daemon.Kernel.Find(Web, new DestinationKey(IPAddress.Parse("10.0.0.5"), 80))!.Spec.Weight);
    }

    [Fact]
    public async Task ADrainSurvivesARestart()
    {
        await using var daemon = await TestDaemon.CreateAsync();
        var key = new DestinationKey(IPAddress.Parse("10.0.0.5"), 80);
        await OkAsync(daemon, "PUT", "/service/web", """{"port":80}""");
        await OkAsync(daemon, "PUT", "/service/web/rs", """{"host":"10.0.0.5","port":80,"weight":100}""");
        await OkAsync(daemon, "PATCH", "/service/web/rs", """{"weight":0}""");
        Assert.Equal(0, daemon.Kernel.Find(Web, key)!.Spec.Weight);

        await daemon.StopAsync();
        daemon.Kernel.ResetCounts();
        await daemon.StartAsync();
        await Task.Delay(200, Ct);

        Assert.Equal(0, daemon.Kernel.Find(Web, key)!.Spec.Weight);
        Assert.Equal(0, daemon.Kernel.Writes);
        using var json = JsonDocument.Parse(await daemon.Http.GetStringAsync("/service/web/rs", Ct));
        Assert.Equal(0, json.RootElement.GetProperty("options").GetProperty("weight").GetInt32());
    }

    [Fact]
    public async Task AHealthCheckThatThrowsOrWhoseReportThrowsGoesOnChecking()
    {
        var reports = new List<(bool Up, string Detail)>();
        var calls = 0;
        await using var monitor = new PulseMonitor(4, TimeSpan.FromSeconds(2), (_, up, detail) =>
        {
            lock (reports) reports.Add((up, detail));
            if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("first report fails");
            return Task.CompletedTask;
        }, NullLogger.Instance, TimeProvider.System);
        // A host no validation would let through now, as an older state file might still hold: the URL cannot be built.
        var backend = new BackendEntry
        {
            Id = "rs",
            ServiceId = "web",
            Options = new GorbLink.Remote.Protocol.GorbBackendOptions { Host = "10.0.0.5", Port = 80 },
            Destination = new Destination(new DestinationKey(IPAddress.Loopback, 9), new DestinationSpec()),
            Pulse = new PulseSpec(PulseKind.Http, TimeSpan.FromMilliseconds(50), "GET", "/", 200, "a b", null),
        };

        monitor.Start(backend);

        await Eventually.TrueAsync(() => Volatile.Read(ref calls) >= 3, "three reports: neither a throwing check nor a throwing report ended the loop", TimeSpan.FromSeconds(10));
        lock (reports) Assert.All(reports, r => Assert.False(r.Up));
    }
}
