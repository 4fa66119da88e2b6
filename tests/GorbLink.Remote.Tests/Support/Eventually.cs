namespace GorbLink.Remote.Tests.Support;

/// <summary>Polls a condition until it holds or a generous deadline passes; the failure names what never happened.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(45);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<Task<string>>? explain = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
                last = null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or KeyNotFoundException)
            {
                last = e;
            }
            await Task.Delay(50);
        }
        var detail = explain is null ? "" : "\n" + await explain();
        Assert.Fail($"not true within {(timeout ?? DefaultTimeout).TotalSeconds:0} s: {what}{(last is null ? "" : $" (last error: {last.Message})")}{detail}");
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? explain = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout, explain is null ? null : () => Task.FromResult(explain()));
}
