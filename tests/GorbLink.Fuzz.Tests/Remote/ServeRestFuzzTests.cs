using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using GorbLink.Fuzz.Tests.Support;

namespace GorbLink.Fuzz.Tests.Remote;

/// <summary>
/// serve's REST API over loopback, backed by the in-memory kernel: sequences of random paths, bodies and pulse
/// definitions (corpus/rest and <see cref="RestRequests"/>), some with a kernel failure injected into their pass, some
/// with a restart of serve between them. After EVERY request:
/// <list type="bullet">
/// <item>a 4xx or 5xx has a JSON body {"error": "..."} saying why (except for HEAD, and for the empty 400 with which
/// Kestrel's own parser refuses a request target such as an encoded NUL, before serve sees it);</item>
/// <item>a 5xx comes only from an injected kernel failure (anything else is a bug answered as "internal error");</item>
/// <item>a refused request changed nothing: serve's saved desired state and the kernel are as before;</item>
/// <item>the kernel's table, foreign services aside, is exactly serve's desired state; the foreign services are untouched.</item>
/// </list>
/// Each sequence starts from serve with no services (the previous one's are deleted through the API). One server, so
/// one thread.
/// </summary>
public sealed class ServeRestFuzzTests
{
    [Fact]
    public async Task EveryRequestIsAnsweredWithAReasonAndLeavesTheKernelEqualToServesDesiredState()
    {
        var corpus = Corpus.Text("rest");
        await using var serve = await ServeUnderFuzz.StartAsync();
        await FuzzRun.RunAsync(RestRequests.Sequences(corpus), async sequence =>
        {
            await ResetAsync(serve);
            foreach (var request in sequence) await StepAsync(serve, request);
        }, sequence => string.Join("\n", sequence.Select(r => r.ToString())), threads: 1);
        TestContext.Current.TestOutputHelper?.WriteLine("answers: " + string.Join(", ", Answers.OrderBy(a => a.Key).Select(a => $"{a.Key} x{a.Value}")));
    }

    /// <summary>How often each status came back, per method: printed, so that a run shows how much it reached.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Answers = new();

    private static async Task StepAsync(ServeUnderFuzz serve, RestRequest request)
    {
        var stateBefore = serve.SavedState;
        var kernelBefore = serve.OwnedKernelDump();
        if (request.Method == RestRequest.Restart)
        {
            await serve.RestartAsync();
            Assert.True(stateBefore == serve.SavedState, $"a restart changed serve's desired state:\n{stateBefore}\n---\n{serve.SavedState}");
            AssertKernelIsDesired(serve, request);
            return;
        }
        if (RestRequests.NeedsDns(request.Body)) return; // serve would resolve it: traffic off this machine
        // The path appended to serve's own authority as it is: never resolved against it ("//x" would name host x).
        var origin = serve.Http.BaseAddress!;
        if (!Uri.TryCreate(origin.GetLeftPart(UriPartial.Authority) + request.Path, UriKind.Absolute, out var uri) ||
            uri.Authority != origin.Authority) return;

        serve.Inject(request.Fault);
        HttpStatusCode status;
        string body;
        bool refusedByKestrel;
        try
        {
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), uri);
            if (request.Body is not null)
            {
                message.Content = new ByteArrayContent(request.Body);
                message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }
            using var response = await serve.Http.SendAsync(message, TestContext.Current.CancellationToken);
            status = response.StatusCode;
            // Kestrel's HTTP parser refuses some request targets itself (an encoded NUL in the path) with an empty 400
            // and closes the connection: serve never sees them, and Kestrel offers no hook for that answer's body.
            refusedByKestrel = status == HttpStatusCode.BadRequest && response.Headers.ConnectionClose == true && response.Content.Headers.ContentLength == 0;
            body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            serve.ClearFaults();
        }

        var code = (int)status;
        Answers.AddOrUpdate($"{request.Method} {code}", 1, (_, n) => n + 1);
        if (code >= 400)
        {
            if (request.Method != "HEAD" && !refusedByKestrel) AssertErrorBody(request, code, body);
            Assert.False(code >= 500 && request.Fault == RestFault.None, $"{request}: {code} without a kernel failure: {body}");
            Assert.True(stateBefore == serve.SavedState, $"{request}: refused with {code} ({body}) but serve's desired state changed:\n{stateBefore}\n---\n{serve.SavedState}");
            Assert.True(kernelBefore == serve.OwnedKernelDump(), $"{request}: refused with {code} ({body}) but the kernel changed:\n{kernelBefore}\n---\n{serve.OwnedKernelDump()}");
        }
        AssertKernelIsDesired(serve, request);
    }

    private static void AssertErrorBody(RestRequest request, int code, string body)
    {
        Assert.False(string.IsNullOrWhiteSpace(body), $"{request}: {code} with an empty body");
        string? error = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String)
                error = e.GetString();
        }
        catch (JsonException)
        {
        }
        Assert.False(string.IsNullOrWhiteSpace(error), $"{request}: {code} with a body that is not {{\"error\": \"...\"}}: {body}");
    }

    private static void AssertKernelIsDesired(ServeUnderFuzz serve, RestRequest request)
    {
        var desired = serve.DesiredDump();
        var kernel = serve.OwnedKernelDump();
        Assert.True(desired == kernel, $"after {request}: the kernel is not serve's desired state:\ndesired:\n{desired}\nkernel:\n{kernel}");
        var foreign = serve.ForeignNow();
        Assert.True(foreign == serve.ForeignDump, $"after {request}: a foreign service changed:\nbefore:\n{serve.ForeignDump}\nnow:\n{foreign}");
    }

    /// <summary>Deletes every service through the API, so that a sequence starts from nothing (and a shrunk one replays).</summary>
    private static async Task ResetAsync(ServeUnderFuzz serve)
    {
        serve.ClearFaults();
        var ct = TestContext.Current.CancellationToken;
        var ids = JsonSerializer.Deserialize<string[]>(await serve.Http.GetStringAsync("/service", ct)) ?? [];
        foreach (var id in ids)
        {
            using var response = await serve.Http.DeleteAsync($"/service/{Uri.EscapeDataString(id)}", ct);
            Assert.True(response.IsSuccessStatusCode, $"reset: DELETE /service/{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
        Assert.Equal("", serve.OwnedKernelDump());
    }
}
