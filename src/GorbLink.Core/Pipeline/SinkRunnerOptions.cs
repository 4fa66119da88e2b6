namespace GorbLink.Core.Pipeline;

public sealed record SinkRunnerOptions
{
    /// <summary>A pass runs at least this often even when nothing changed (someone may have edited the sink's table).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Delay after the first failed pass; doubles with every further failure up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A newer desired state ends a backoff at once (the backoff still doubles). For a source whose every change waits
    /// for the sink's answer (serve's REST requests); otherwise a sink that is down waits out its backoff.
    /// </summary>
    public bool NewerStateEndsBackoff { get; init; }

    /// <summary>End the runner with the exception when its very first pass fails, instead of retrying.</summary>
    public bool FailFastOnFirstPass { get; init; }

    /// <summary>Failures that no retry can fix (a damaged ownership file): they end the runner, and with it the pipeline.</summary>
    public Func<Exception, bool> IsFatal { get; init; } = static _ => false;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ResyncInterval, TimeSpan.Zero, nameof(ResyncInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialBackoff, TimeSpan.Zero, nameof(InitialBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, InitialBackoff, nameof(MaxBackoff));
        ArgumentNullException.ThrowIfNull(IsFatal, nameof(IsFatal));
    }
}

/// <summary>What one sink's runner is doing right now.</summary>
public enum SinkRunnerState
{
    NotStarted,
    /// <summary>No desired state has been built yet.</summary>
    WaitingForDesiredState,
    /// <summary>Waiting for a newer desired state, the sink's next wake-up or the periodic resync.</summary>
    Idle,
    Applying,
    /// <summary>The last pass failed; waiting before the next attempt (newer desired states do not cut this short, unless <see cref="SinkRunnerOptions.NewerStateEndsBackoff"/>).</summary>
    BackingOff,
    Stopped,
}

/// <summary>Counters and status of one sink's runner, for logs, status files and metrics.</summary>
public sealed record SinkCounters
{
    public long Passes { get; init; }
    public long FailedPasses { get; init; }
    /// <summary>Writes the sink accepted, over all passes.</summary>
    public long WritesApplied { get; init; }
    /// <summary>Writes the sink refused, over all passes.</summary>
    public long WritesRefused { get; init; }
    /// <summary>Failed passes since the last successful one; 0 when the last pass succeeded.</summary>
    public int ConsecutiveFailures { get; init; }
    public TimeSpan LastDuration { get; init; }
    public DateTimeOffset? LastPassAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    /// <summary>The most recent failed pass's error (kept after recovery; see <see cref="ConsecutiveFailures"/>).</summary>
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    /// <summary>The source revision of the snapshot the last successful pass applied.</summary>
    public long AppliedRevision { get; init; }
    /// <summary>When the runner runs the next pass if nothing changes (resync, the sink's own wake-up, or the backoff).</summary>
    public DateTimeOffset? NextWakeUp { get; init; }
}

/// <summary>
/// How a runner tells about its sink's passes, in the sink's own log events (the kernel's and each daemon's event ids
/// differ and users filter on them).
/// </summary>
public interface ISinkRunnerLog
{
    void FirstPass(DesiredSnapshot desired, SinkPassOutcome outcome);
    void PassFailed(Exception exception, int failuresInRow, TimeSpan retryIn);
    void Recovered(int failuresInRow);
    void Fatal(Exception exception);
}

/// <summary>
/// A sink that can tell cheaply, between passes, that it drifted from what was applied (a GORB daemon that restarted
/// and lost its services). While healthy, the runner asks it every <see cref="ProbeInterval"/>.
/// </summary>
public interface IDriftProbe
{
    TimeSpan ProbeInterval { get; }

    /// <summary>True when another pass is needed now.</summary>
    Task<bool> HasDriftedAsync(DesiredSnapshot applied, CancellationToken cancellationToken);
}
