namespace GorbLink.Core.Pipeline;

/// <summary>
/// One completed pass of one sink: the source revision of the snapshot it applied, and what it did
/// (<see cref="Outcome"/>) or the exception that failed it as a whole (<see cref="Failure"/>).
/// </summary>
public sealed record SinkPass(long Revision, SinkPassOutcome? Outcome, Exception? Failure)
{
    public static SinkPass Applied(long revision, SinkPassOutcome outcome) => new(revision, outcome, null);

    public static SinkPass Failed(long revision, Exception failure) => new(revision, null, failure);
}

/// <summary>
/// The passes of one sink as they complete, for a caller that changed the source and must know what the sink made of
/// the change: serve answers a REST request only after the kernel pass that includes its revision. Only the latest
/// pass is kept; a waiter is answered by the first pass at or past its revision, whether that pass worked or failed.
/// </summary>
public sealed class SinkPassFeed
{
    private readonly Lock _gate = new();
    private readonly List<(long Revision, TaskCompletionSource<SinkPass> Done)> _waiters = [];
    private SinkPass? _latest;
    private string? _closedBecause;

    /// <summary>The latest completed pass; null before the first.</summary>
    public SinkPass? Latest { get { lock (_gate) return _latest; } }

    /// <summary>
    /// Completes with the latest pass when it already covers <paramref name="revision"/>, else with the first pass that
    /// applies a snapshot of that revision or later.
    /// </summary>
    /// <exception cref="OperationCanceledException">The runner stopped before such a pass, or <paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<SinkPass> WaitForRevisionAsync(long revision, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource<SinkPass> done;
        lock (_gate)
        {
            if (_latest is { } latest && latest.Revision >= revision) return Task.FromResult(latest);
            if (_closedBecause is { } reason) return Task.FromException<SinkPass>(new OperationCanceledException(reason));
            done = new TaskCompletionSource<SinkPass>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((revision, done));
        }
        return cancellationToken.CanBeCanceled ? done.Task.WaitAsync(cancellationToken) : done.Task;
    }

    /// <summary>Raised after each pass is recorded (the runner's counters already include it), on the runner's thread.</summary>
    public event Action<SinkPass>? Published;

    /// <summary>Records a completed pass and answers every waiter it covers.</summary>
    public void Publish(SinkPass pass)
    {
        ArgumentNullException.ThrowIfNull(pass);
        List<TaskCompletionSource<SinkPass>> answered = [];
        lock (_gate)
        {
            _latest = pass;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Revision > pass.Revision) continue;
                answered.Add(_waiters[i].Done);
                _waiters.RemoveAt(i);
            }
        }
        foreach (var done in answered) done.TrySetResult(pass);
        Published?.Invoke(pass);
    }

    /// <summary>No pass will follow: every waiter, now and later, gets an <see cref="OperationCanceledException"/> with <paramref name="reason"/>.</summary>
    public void Close(string reason)
    {
        List<TaskCompletionSource<SinkPass>> left;
        lock (_gate)
        {
            _closedBecause ??= reason;
            left = [.. _waiters.Select(w => w.Done)];
            _waiters.Clear();
        }
        foreach (var done in left) done.TrySetException(new OperationCanceledException(reason));
    }
}
