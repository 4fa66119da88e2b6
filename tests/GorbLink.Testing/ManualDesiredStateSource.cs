using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;

namespace GorbLink.Testing;

/// <summary>A source whose revision the test moves by hand.</summary>
public sealed class ManualDesiredStateSource : IDesiredStateSource
{
    private readonly Lock _gate = new();
    private long _revision;
    private bool _loaded;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public int Builds;
    /// <summary>The revision the last build saw.</summary>
    public long LastBuiltRevision => Volatile.Read(ref _lastBuilt);
    private long _lastBuilt;

    public bool IsLoaded { get { lock (_gate) return _loaded; } }
    public long Revision { get { lock (_gate) return _revision; } }

    public void Change(bool load = true)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            _loaded |= load;
            _revision++;
            signal = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }

    public Task WaitForChangeAsync(long seenRevision, CancellationToken cancellationToken)
    {
        lock (_gate) return _revision > seenRevision ? Task.CompletedTask : _changed.Task.WaitAsync(cancellationToken);
    }

    public DesiredSnapshot Build(DesiredSnapshot? previous, IReadOnlyList<DefaultVip> defaultVips)
    {
        Interlocked.Increment(ref Builds);
        var revision = Revision;
        Volatile.Write(ref _lastBuilt, revision);
        return new DesiredSnapshot(revision, DesiredState.Empty);
    }
}
