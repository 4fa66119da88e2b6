using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace GorbLink.Tests.Metrics;

/// <summary>
/// A minimal OTLP/HTTP receiver on a loopback port: accepts POST /v1/metrics (protobuf), answers 200 with an empty
/// ExportMetricsServiceResponse, and hands each request's body to the test.
/// </summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Channel<(string Path, string? ContentType, byte[] Body)> _posts = Channel.CreateUnbounded<(string, string?, byte[])>();
    private readonly Task _loop;

    public OtlpReceiver()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>The receiver's base URL (no path): what a user gives --otlp-endpoint.</summary>
    public Uri Endpoint { get; }

    public ChannelReader<(string Path, string? ContentType, byte[] Body)> Posts => _posts.Reader;

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            _posts.Writer.TryWrite((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
            context.Response.StatusCode = context.Request.HttpMethod == "POST" ? 200 : 405;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _posts.Writer.TryComplete();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
