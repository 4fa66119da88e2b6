namespace GorbLink.Docker;

/// <summary>Settings of <see cref="DockerWatcher"/>.</summary>
public sealed class DockerWatcherOptions
{
    /// <summary>The engine to watch; see <see cref="DockerEndpoint.Resolve(string?)"/>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Full list + inspect as a safety net against dropped events (<c>--resync-interval</c>); zero or less disables it.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>First delay before reconnecting after the event stream ends or fails; doubles per failed attempt.</summary>
    public TimeSpan InitialReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the reconnect delay; a session that lasted at least this long resets the delay to the initial one.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When the very first connection fails with <see cref="DockerUnavailableException"/>, throw it out of
    /// <see cref="DockerWatcher.RunAsync"/> (the executable exits with its "no Docker" code) instead of retrying.
    /// Later losses are always retried.
    /// </summary>
    public bool RequireEngineAtStartup { get; init; } = true;

    /// <summary>
    /// How long a <c>kill</c>/<c>stop</c> keeps a container that still runs in <c>Stopping</c> (a graceful stop in
    /// progress). After that, e.g. when the process ignored SIGTERM, the inspected state wins again.
    /// </summary>
    public TimeSpan StopIntentTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Events buffered between the stream and the handler; on overflow the watcher does a full resync instead.</summary>
    public int EventQueueCapacity { get; init; } = 10_000;

    /// <summary>Concurrent inspects during a full list.</summary>
    public int InspectParallelism { get; init; } = 4;
}

/// <summary>The watcher's connection state, for <c>gorblink status</c> and health checks. Immutable snapshot.</summary>
public sealed record DockerWatcherStatus
{
    public required Uri Endpoint { get; init; }
    /// <summary>True while subscribed to events and loaded.</summary>
    public bool Connected { get; init; }
    /// <summary>The engine's product version, e.g. "26.1.5+dfsg1"; the last known one while disconnected.</summary>
    public string? EngineVersion { get; init; }
    /// <summary>The negotiated API version, e.g. "1.45".</summary>
    public string? ApiVersion { get; init; }
    /// <summary>Sessions established after the first one (i.e. successful reconnects).</summary>
    public int ReconnectCount { get; init; }
    /// <summary>Connection attempts that failed since the last successful one.</summary>
    public int ConsecutiveFailures { get; init; }
    /// <summary>Failed connection attempts and lost event streams, since start.</summary>
    public long FailureCount { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    public DateTimeOffset? ConnectedSince { get; init; }
    public DateTimeOffset? LastFullSyncAt { get; init; }
    /// <summary>Full list + inspect passes: at connect, periodic, and after a queue overflow.</summary>
    public long FullSyncCount { get; init; }
    /// <summary>Events received over all sessions (including ones that needed no action).</summary>
    public long EventsReceived { get; init; }
}
