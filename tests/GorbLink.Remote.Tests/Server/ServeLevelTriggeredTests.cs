using System.Net;
using System.Text;
using System.Text.Json;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;
using GorbLink.Netlink;
using GorbLink.Remote.Tests.Support;

namespace GorbLink.Remote.Tests.Server;

/// <summary>
/// `gorblink serve` is level-triggered: REST changes its desired state, the kernel reconciler applies it, and a
/// periodic resync puts back what someone else deleted, never touching entries serve did not make.
/// </summary>
public sealed class ServeLevelTriggeredTests
{
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.1.0.1"), 80);
    private static readonly DestinationKey Web1 = new(IPAddress.Parse("10.0.0.5"), 32768);
    private static readonly VirtualServiceKey Foreign = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.9.9.9"), 443);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TestDaemon> FastResyncAsync() =>
        TestDaemon.CreateAsync(configure: o => o with { ResyncInterval = TimeSpan.FromMilliseconds(200), RetryMinimum = TimeSpan.FromMilliseconds(50) });

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(TestDaemon daemon, string method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await daemon.Http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task OkAsync(TestDaemon daemon, string method, string path, string? body = null)
    {
        var (status, text) = await SendAsync(daemon, method, path, body);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {text}");
    }

    private static async Task CreateWebWithBackendAsync(TestDaemon daemon)
    {
        await OkAsync(daemon, "PUT", "/service/web-80-tcp", """{"port":80,"method":"rr"}""");
        await OkAsync(daemon, "PUT", "/service/web-80-tcp/web-1", """{"host":"10.0.0.5","port":32768,"weight":30}""");
        daemon.Kernel.AddForeign(new DesiredService(new VirtualService(Foreign, new VirtualServiceSpec { Scheduler = "sh" }),
            [new Destination(new DestinationKey(IPAddress.Parse("10.9.0.1"), 443), new DestinationSpec { Weight = 7 })]));
    }

    private static string ErrorOf(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("error").GetString()!;
    }

    [Fact]
    public async Task AServiceDeletedFromTheKernelBySomeoneElseComesBackWithTheNextPassAndForeignEntriesStay()
    {
        await using var daemon = await FastResyncAsync();
        await CreateWebWithBackendAsync(daemon);
        var foreignBefore = daemon.Kernel.Find(Foreign);

        await daemon.Kernel.DeleteServiceAsync(Web, Ct); // ipvsadm -D -t 10.1.0.1:80

        await Eventually.TrueAsync(() => daemon.Kernel.Has(Web) && daemon.Kernel.Has(Web, Web1), "serve's service and backend back in the kernel", TimeSpan.FromSeconds(10));
        Assert.Equal("rr", daemon.Kernel.Find(Web)!.Spec.Scheduler);
        Assert.Equal(30, daemon.Kernel.Find(Web, Web1)!.Spec.Weight);
        Assert.Equal(foreignBefore, daemon.Kernel.Find(Foreign));
        Assert.Equal(7, daemon.Kernel.Find(Foreign, new DestinationKey(IPAddress.Parse("10.9.0.1"), 443))!.Spec.Weight);
    }

    [Fact]
    public async Task AfterAFlushOfTheWholeTableOnlyServesOwnEntriesComeBack()
    {
        await using var daemon = await FastResyncAsync();
        await CreateWebWithBackendAsync(daemon);

        await daemon.Kernel.FlushAsync(Ct); // ipvsadm -C

        await Eventually.TrueAsync(() => daemon.Kernel.Has(Web, Web1), "serve's entries back after ipvsadm -C", TimeSpan.FromSeconds(10));
        Assert.False(daemon.Kernel.Has(Foreign)); // not serve's to restore
        Assert.Equal(1, daemon.Kernel.ServiceCount);
    }

    [Fact]
    public async Task ADestinationSomeoneElseAddedToServesServiceIsLeftAlone()
    {
        await using var daemon = await FastResyncAsync();
        await CreateWebWithBackendAsync(daemon);
        var stranger = new Destination(new DestinationKey(IPAddress.Parse("10.0.0.99"), 80), new DestinationSpec { Weight = 3 });
        await daemon.Kernel.CreateDestinationAsync(Web, stranger, Ct); // ipvsadm -a

        await daemon.Kernel.DeleteDestinationAsync(Web, Web1, Ct);
        await Eventually.TrueAsync(() => daemon.Kernel.Has(Web, Web1), "serve's backend back", TimeSpan.FromSeconds(10));
        Assert.Equal(stranger, daemon.Kernel.Find(Web, stranger.Key));

        await OkAsync(daemon, "DELETE", "/service/web-80-tcp");
        Assert.True(daemon.Kernel.Has(Web, stranger.Key)); // the service stays for the destination serve did not add
        Assert.False(daemon.Kernel.Has(Web, Web1));
    }

    [Fact]
    public async Task ANetlinkFailureDuringARequestIs500WithABodyAndChangesNothing()
    {
        await using var daemon = await FastResyncAsync();
        daemon.Kernel.FailNextBatch = new NetlinkProtocolException("malformed ACK: 12 bytes");

        var (status, body) = await SendAsync(daemon, "PUT", "/service/web-80-tcp", """{"port":80}""");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains("malformed ACK", ErrorOf(body), StringComparison.Ordinal);
        Assert.Equal("[]", (await daemon.Http.GetStringAsync("/service", Ct)).Trim());
        await Task.Delay(500, Ct); // a few resyncs: nothing comes back that the client was told failed
        Assert.False(daemon.Kernel.Has(Web));
        await OkAsync(daemon, "PUT", "/service/web-80-tcp", """{"port":80}"""); // not 409: nothing was half-made
        Assert.True(daemon.Kernel.Has(Web));
    }

    [Fact]
    public async Task AFailureAfterTheKernelTookTheBatchIs500AndTheNextPassTakesTheEntryBackOut()
    {
        await using var daemon = await FastResyncAsync();
        daemon.Kernel.FailAfterNextBatch = new NetlinkException("receive", new Errno(105), "no buffer space available");

        var (status, body) = await SendAsync(daemon, "PUT", "/service/web-80-tcp", """{"port":80}""");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.StartsWith("error while calling into IPVS", ErrorOf(body), StringComparison.Ordinal);
        Assert.Equal("[]", (await daemon.Http.GetStringAsync("/service", Ct)).Trim());
        await Eventually.TrueAsync(() => !daemon.Kernel.Has(Web), "the half-applied service removed (serve made it, serve owns it)", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ARefusedWriteIsMatchedToItsRequestByTheOperationWhateverItsText()
    {
        await using var daemon = await FastResyncAsync();
        await OkAsync(daemon, "PUT", "/service/web-80-tcp", """{"port":80,"method":"rr"}""");
        var web2 = new DestinationKey(IPAddress.Parse("10.0.0.6"), 32768);
        daemon.Kernel.Refuse = op => op is IpvsOperation.CreateDestination { Destination.Key: var key } && key == web2 ? 12 : 0; // ENOMEM
        // The refusal names neither the operation's kind nor its target: only its place in the batch ties it to the request.
        daemon.Kernel.RefusalError = (_, errno) => new IpvsException(IpvsOperationKind.Batch, "something", new Errno(errno), "out of memory");

        var (status, body) = await SendAsync(daemon, "PUT", "/service/web-80-tcp/web-2", """{"host":"10.0.0.6","port":32768}""");
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("error while calling into IPVS: out of memory", ErrorOf(body));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(daemon, "GET", "/service/web-80-tcp/web-2")).Status);

        // A request about another entry is not answered with that refusal.
        await OkAsync(daemon, "PUT", "/service/web-80-tcp/web-1", """{"host":"10.0.0.5","port":32768,"weight":30}""");
        await OkAsync(daemon, "PATCH", "/service/web-80-tcp", """{"method":"wrr"}""");
        Assert.True(daemon.Kernel.Has(Web, Web1));
        Assert.False(daemon.Kernel.Has(Web, web2));
    }

    [Fact]
    public async Task AKernelThatFailsEveryPassIsRetriedUntilItRecovers()
    {
        await using var daemon = await FastResyncAsync();
        await CreateWebWithBackendAsync(daemon);
        await daemon.Kernel.DeleteServiceAsync(Web, Ct);
        daemon.Kernel.FailDumps = 5;

        await Eventually.TrueAsync(() => daemon.Kernel.Has(Web, Web1), "restored once the dumps work again", TimeSpan.FromSeconds(15));
        Assert.Single(daemon.Logs.Lines, l => l.Message.Contains("kernel pass failed", StringComparison.Ordinal)); // once, not per retry
        Assert.True(daemon.Logs.Contains("kernel pass recovered"), daemon.Logs.Text);
    }
}
