using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using GorbLink.Core.Containers;
using GorbLink.Docker.Engine;
using Microsoft.Extensions.Logging;

namespace GorbLink.Docker;

/// <summary>
/// Keeps a <see cref="ContainerStore"/> equal to what the Docker Engine has, level-triggered:
/// <list type="number">
/// <item>connect and negotiate the API version;</item>
/// <item>subscribe to <c>type=container</c> and <c>type=network</c> events <b>first</b> (no server-side label filter:
/// it would drop network events), with <c>since</c> = the daemon's clock so the daemon replays anything that raced
/// the subscription;</item>
/// <item>list all containers (<c>all=true</c>), inspect each, <see cref="ContainerStore.ReplaceAll"/>;</item>
/// <item>apply events in order from one channel: each is a hint to re-inspect that container and upsert it
/// (404 = remove);</item>
/// <item>every <see cref="DockerWatcherOptions.ResyncInterval"/>, list again (events can be dropped);</item>
/// <item>on any end of the stream, normal completion included: back off, reconnect, renegotiate, relist.</item>
/// </list>
/// Not a hosted service: the executable runs <see cref="RunAsync"/>. Nothing happens in the constructor.
/// </summary>
public sealed partial class DockerWatcher
{
    private static readonly HashSet<string> ContainerActions = new(StringComparer.Ordinal)
    {
        "create", "start", "restart", "die", "kill", "stop", "oom", "pause", "unpause", "rename", "update", "destroy",
    };

    private static readonly string[] EventTypes = ["container", "network"];

    private readonly DockerWatcherOptions _options;
    private readonly ContainerStore _store;
    private readonly DockerConnector _connector;
    private readonly ILogger<DockerWatcher> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _statusGate = new();
    private readonly Dictionary<string, StopIntent> _stopIntents = new(StringComparer.Ordinal);
    private DockerWatcherStatus? _status;
    private int _running;

    public DockerWatcher(DockerWatcherOptions options, ContainerStore store, DockerConnector connector, ILogger<DockerWatcher> logger,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _store = store;
        _connector = connector;
        _logger = logger;
        _time = timeProvider;
    }

    /// <summary>Source of jitter for the reconnect delay (tests may pin it).</summary>
    internal Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>Current connection state (safe to read from any thread).</summary>
    public DockerWatcherStatus Status
    {
        get
        {
            lock (_statusGate) return _status ??= new DockerWatcherStatus { Endpoint = _options.Endpoint };
        }
    }

    /// <summary>
    /// Watches until <paramref name="cancellationToken"/> fires, then returns. Throws
    /// <see cref="DockerApiVersionException"/> when the engine's API is unusable, and
    /// <see cref="DockerUnavailableException"/> when the first connection fails and
    /// <see cref="DockerWatcherOptions.RequireEngineAtStartup"/> is set; every other failure is retried.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1) throw new InvalidOperationException("The Docker watcher is already running.");
        var backoff = new ReconnectBackoff(_options.InitialReconnectDelay, _options.MaxReconnectDelay, Jitter);
        var sessions = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Exception failure;
                DateTimeOffset? loadedAt = null;
                try
                {
                    await RunSessionAsync(() =>
                    {
                        loadedAt = _time.GetUtcNow();
                        sessions++;
                        return sessions > 1;
                    }, cancellationToken).ConfigureAwait(false);
                    failure = new EventStreamEndedException(null); // not reached: a session ends by throwing
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (DockerApiVersionException ex)
                {
                    RecordFailure(ex);
                    Log.EngineUnsupported(_logger, ex.Message);
                    throw;
                }
                catch (DockerUnavailableException ex) when (sessions == 0 && _options.RequireEngineAtStartup)
                {
                    RecordFailure(ex);
                    Log.UnavailableAtStartup(_logger, ex.Endpoint, ex.Message);
                    throw;
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                RecordFailure(failure);
                // A session that held for a while starts the backoff afresh; one that the engine ends right after
                // the list (a proxy, a flapping daemon) keeps growing it, so we do not relist in a tight loop.
                if (loadedAt is { } loaded && _time.GetUtcNow() - loaded >= _options.MaxReconnectDelay) backoff.Reset();
                var delay = backoff.Next();
                if (failure is DockerUnavailableException) Log.ReconnectFailed(_logger, backoff.Attempt, delay, failure.Message);
                else Log.StreamLost(_logger, Describe(failure), delay, failure);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.Stopped(_logger);
        }
        finally
        {
            UpdateStatus(s => s with { Connected = false, ConnectedSince = null });
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>One connection: subscribe, list, consume until the stream ends (always ends by throwing).</summary>
    private async Task RunSessionAsync(Func<bool> onLoaded, CancellationToken cancellationToken)
    {
        using var connection = await _connector.ConnectAsync(_options.Endpoint, cancellationToken).ConfigureAwait(false);
        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<WatcherWork>(new BoundedChannelOptions(Math.Max(16, _options.EventQueueCapacity))
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: full means "overflow → resync", never blocking
        });
        var queue = new EventQueueWriter(channel.Writer);

        var since = await TryGetDaemonTimeAsync(connection, cancellationToken).ConfigureAwait(false);
        var monitor = connection.Client.MonitorEventsAsync(since, EventTypes, queue.Report, sessionCts.Token);
        var streamWatch = monitor.ContinueWith(
            t => channel.Writer.TryComplete(new EventStreamEndedException(t.Exception?.GetBaseException())),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var resyncLoop = RunResyncTimerAsync(channel.Writer, queue, sessionCts.Token);
        long countedEvents = 0;
        try
        {
            var count = await FullSyncAsync(connection, cancellationToken).ConfigureAwait(false);
            var reconnected = onLoaded();
            var now = _time.GetUtcNow();
            UpdateStatus(s => s with
            {
                Connected = true,
                EngineVersion = connection.EngineVersion,
                ApiVersion = connection.ApiVersion.ToString(2),
                ReconnectCount = s.ReconnectCount + (reconnected ? 1 : 0),
                ConsecutiveFailures = 0,
                ConnectedSince = now,
            });
            if (reconnected) Log.Reconnected(_logger, connection.Endpoint, connection.EngineVersion, connection.ApiVersion.ToString(2), count);
            else Log.Watching(_logger, connection.Endpoint, connection.EngineVersion, connection.ApiVersion.ToString(2), count);

            var batch = new List<WatcherWork>();
            while (true)
            {
                await WaitForWorkAsync(channel.Reader, cancellationToken).ConfigureAwait(false);
                batch.Clear();
                while (batch.Count < 1024 && channel.Reader.TryRead(out var work)) batch.Add(work);
                var received = queue.Received;
                var delta = received - countedEvents;
                countedEvents = received;
                UpdateStatus(s => s with { EventsReceived = s.EventsReceived + delta });
                await ProcessBatchAsync(connection, batch, queue.TakeOverflow(), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await sessionCts.CancelAsync().ConfigureAwait(false);
            await Observe(monitor).ConfigureAwait(false);
            await Observe(streamWatch).ConfigureAwait(false);
            await Observe(resyncLoop).ConfigureAwait(false);
        }
    }

    private static async Task WaitForWorkAsync(ChannelReader<WatcherWork> reader, CancellationToken cancellationToken)
    {
        bool more;
        try
        {
            more = await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }

        if (!more)
        {
            await reader.Completion.ConfigureAwait(false);
            throw new EventStreamEndedException(null);
        }
    }

    private async Task RunResyncTimerAsync(ChannelWriter<WatcherWork> writer, EventQueueWriter queue, CancellationToken cancellationToken)
    {
        if (_options.ResyncInterval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(_options.ResyncInterval, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            if (!writer.TryWrite(WatcherWork.Resync)) queue.MarkOverflow();
    }

    private async Task ProcessBatchAsync(DockerConnection connection, List<WatcherWork> batch, bool overflowed, CancellationToken cancellationToken)
    {
        var resync = overflowed;
        if (overflowed) Log.QueueOverflow(_logger, _options.EventQueueCapacity);
        // Latest relevant event per container, in order of last occurrence. Stop intents see every event in order.
        var latest = new Dictionary<string, DockerEvent>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var work in batch)
        {
            if (work.IsResync)
            {
                resync = true;
                continue;
            }

            var evt = work.Event!;
            var containerId = RelevantContainerId(evt);
            Log.EventReceived(_logger, evt.Type ?? "", evt.Action ?? "", Short(evt.Actor?.Id), containerId is not null);
            if (containerId is null) continue;
            TrackStopIntent(containerId, evt);
            if (latest.ContainsKey(containerId)) order.Remove(containerId);
            order.Add(containerId);
            latest[containerId] = evt;
        }

        if (resync)
        {
            // A full list after these events were received covers all of them.
            var count = await FullSyncAsync(connection, cancellationToken).ConfigureAwait(false);
            Log.Resynced(_logger, count);
            return;
        }

        foreach (var id in order) await RefreshAsync(connection, id, latest[id], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The daemon's clock as an events <c>since</c>, minus a second of margin; null if it cannot be read.</summary>
    private async Task<string?> TryGetDaemonTimeAsync(DockerConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var info = await connection.Client.GetSystemInfoAsync(cancellationToken).ConfigureAwait(false);
            if (DockerTime.ParseUnixNanos(info.SystemTime) is { } nanos) return DockerTime.FormatSince(nanos - 1_000_000_000L);
            Log.DaemonTimeUnavailable(_logger, $"unparsable SystemTime '{info.SystemTime}'");
        }
        catch (Exception ex) when (ex is DockerEngineApiException or System.Text.Json.JsonException)
        {
            Log.DaemonTimeUnavailable(_logger, ex.Message);
        }

        return null;
    }

    private void RecordFailure(Exception failure)
    {
        var now = _time.GetUtcNow();
        UpdateStatus(s => s with
        {
            Connected = false,
            ConnectedSince = null,
            LastError = Describe(failure),
            LastErrorAt = now,
            ConsecutiveFailures = s.ConsecutiveFailures + (failure is DockerUnavailableException ? 1 : 0),
            FailureCount = s.FailureCount + 1,
        });
    }

    private void UpdateStatus(Func<DockerWatcherStatus, DockerWatcherStatus> change)
    {
        lock (_statusGate) _status = change(_status ?? new DockerWatcherStatus { Endpoint = _options.Endpoint });
    }

    private static string Describe(Exception ex) => ex switch
    {
        EventStreamEndedException { InnerException: null } => "Docker closed the event stream",
        EventStreamEndedException { InnerException: { } inner } => $"event stream failed: {inner.GetType().Name}: {inner.Message}",
        GorbLinkDockerException => ex.Message,
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static async Task Observe(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The session is over; its failure has been reported through the channel.
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Short(string? id) => id is null ? "" : id.Length > 12 ? id[..12] : id;

    private readonly record struct StopIntent(DockerEvent Event, long? EventNanos, DateTimeOffset SeenAt);
}
