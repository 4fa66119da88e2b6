using System.Collections.Concurrent;
using GorbLink.Core.Containers;

namespace GorbLink.Docker.Tests.Support;

/// <summary>
/// A <see cref="DockerWatcher"/> running in the background against the real engine, with its own
/// <see cref="ContainerStore"/>, a recorder of every store revision, and deadline-based polling helpers.
/// </summary>
public sealed class WatcherHarness : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _stop = new();
    private readonly ITestOutputHelper? _output;
    private readonly ConcurrentQueue<ContainerSnapshot> _history = new();
    private Task? _run;
    private Task? _recorder;

    private WatcherHarness(DockerWatcher watcher, ContainerStore store, ITestOutputHelper? output)
    {
        Watcher = watcher;
        Store = store;
        _output = output;
    }

    public DockerWatcher Watcher { get; }
    public ContainerStore Store { get; }
    public Task RunTask => _run ?? Task.CompletedTask;

    /// <summary>Starts a watcher and waits until it has loaded the full list.</summary>
    public static async Task<WatcherHarness> StartAsync(DockerEnvironment env, TimeProvider? time = null,
        Func<DockerWatcherOptions, DockerWatcherOptions>? configure = null)
    {
        var output = TestContext.Current.TestOutputHelper;
        var timeProvider = time ?? TimeProvider.System;
        var options = new DockerWatcherOptions { Endpoint = env.Endpoint, InitialReconnectDelay = TimeSpan.FromMilliseconds(250) };
        if (configure is not null) options = configure(options);
        var store = new ContainerStore();
        var watcher = new DockerWatcher(options, store,
            new DockerConnector(new TestOutputLogger<DockerConnector>(output, timeProvider)),
            new TestOutputLogger<DockerWatcher>(output, timeProvider), timeProvider);
        var harness = new WatcherHarness(watcher, store, output);
        harness._recorder = harness.RecordAsync();
        harness._run = Task.Run(() => watcher.RunAsync(harness._stop.Token));
        await harness.WaitUntilAsync(() => store.IsLoaded || harness._run.IsCompleted, "the watcher to load the container list");
        if (harness._run.IsFaulted) await harness._run; // surface the startup error
        return harness;
    }

    public ContainerRecord? Get(string id) => Store.Snapshot().Containers.GetValueOrDefault(id);

    /// <summary>Every lifecycle/health the store showed for a container, in order, de-duplicated.</summary>
    public IReadOnlyList<string> History(string id)
    {
        var states = new List<string>();
        // The recorder runs behind the store: end with the current snapshot.
        foreach (var snapshot in _history.Append(Store.Snapshot()))
        {
            var s = snapshot.Containers.TryGetValue(id, out var r) ? $"{r.Lifecycle}/{r.Health}" : "absent";
            if (states.Count == 0 || states[^1] != s) states.Add(s);
        }

        return states;
    }

    /// <summary>Every store revision the recorder saw, in order, ending with the current one.</summary>
    public IReadOnlyList<ContainerSnapshot> Snapshots() => [.. _history, Store.Snapshot()];

    /// <summary>Waits until the container's record satisfies <paramref name="condition"/>; fails with the last state seen.</summary>
    public async Task<ContainerRecord?> WaitForAsync(string id, Func<ContainerRecord?, bool> condition, string what, TimeSpan? timeout = null)
    {
        ContainerRecord? last = null;
        await WaitUntilAsync(() => condition(last = Get(id)), $"{what} (container {id[..12]})", timeout,
            () => $"last record: {Describe(last)}; history: {string.Join(" → ", History(id))}");
        return last;
    }

    public Task<ContainerRecord?> WaitForLifecycleAsync(string id, ContainerLifecycle lifecycle, TimeSpan? timeout = null) =>
        WaitForAsync(id, r => r?.Lifecycle == lifecycle, $"lifecycle {lifecycle}", timeout);

    /// <summary>Polls <paramref name="condition"/> at every store change (and every 200 ms) until the deadline.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var revision = Store.Revision;
            if (condition()) return;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                var status = Watcher.Status;
                Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s waiting for {what}. {detail?.Invoke()} " +
                            $"Watcher: connected={status.Connected} reconnects={status.ReconnectCount} lastError={status.LastError}");
            }

            using var cts = new CancellationTokenSource(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            try
            {
                await Store.WaitForChangeAsync(revision, cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public static string Describe(ContainerRecord? r) => r is null
        ? "(absent)"
        : $"{r.Name} {r.Lifecycle}/{r.Health} mode={r.NetworkMode} ports=[{string.Join(", ", r.PublishedPorts.Select(p => $"{p.ContainerPort}/{p.Protocol}->{p.HostAddress}:{p.HostPort}"))}] " +
          $"nets=[{string.Join(", ", r.Networks.Select(n => $"{n.Name}:{n.IPv4Address}"))}]";

    private async Task RecordAsync()
    {
        var revision = -1L;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Store.WaitForChangeAsync(revision, _stop.Token);
                var snapshot = Store.Snapshot();
                revision = snapshot.Revision;
                _history.Enqueue(snapshot);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is not TimeoutException)
            {
                // reported by the test that cared
            }
        }

        if (_recorder is not null) await _recorder;
        _stop.Dispose();
    }
}
