namespace GorbLink.Core.Pipeline;

/// <summary>A built desired state as the pipeline handed it to the sinks: <see cref="Sequence"/> grows with every build.</summary>
public sealed record PublishedSnapshot(long Sequence, DesiredSnapshot Snapshot);

/// <summary>
/// The latest desired snapshot, for the sink runners to read when they are ready. Nothing is queued: a sink that is
/// busy or backing off misses nothing, it simply applies whatever is latest when it gets to it.
/// </summary>
public sealed class SnapshotFeed
{
    private readonly Lock _gate = new();
    private PublishedSnapshot? _latest;
    private TaskCompletionSource _published = NewSignal();

    /// <summary>The latest snapshot; null before the first build.</summary>
    public PublishedSnapshot? Latest { get { lock (_gate) return _latest; } }

    public void Publish(DesiredSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        TaskCompletionSource signal;
        lock (_gate)
        {
            _latest = new PublishedSnapshot((_latest?.Sequence ?? 0) + 1, snapshot);
            signal = _published;
            _published = NewSignal();
        }
        signal.TrySetResult();
    }

    /// <summary>Completes with a snapshot whose sequence is past <paramref name="seenSequence"/>.</summary>
    public async Task<PublishedSnapshot> WaitForNewerAsync(long seenSequence, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_latest is { } latest && latest.Sequence > seenSequence) return latest;
                signal = _published.Task;
            }
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
