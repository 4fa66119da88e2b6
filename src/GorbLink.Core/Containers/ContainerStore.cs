using System.Collections.Immutable;

namespace GorbLink.Core.Containers;

/// <summary>
/// The agent's view of all containers, fed by the Docker side. Writers only change the snapshot and mark it dirty;
/// the reconcile loop waits for a change and reads one immutable snapshot. Thread-safe.
/// </summary>
public sealed class ContainerStore
{
    private readonly Lock _gate = new();
    private ImmutableDictionary<string, ContainerRecord> _containers = ImmutableDictionary<string, ContainerRecord>.Empty;
    private long _revision;
    private bool _loaded;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Increases on every change.</summary>
    public long Revision { get { lock (_gate) return _revision; } }

    /// <summary>True once a full list has been loaded; nothing should be programmed before.</summary>
    public bool IsLoaded { get { lock (_gate) return _loaded; } }

    public ContainerSnapshot Snapshot()
    {
        lock (_gate) return new ContainerSnapshot(_revision, _containers);
    }

    /// <summary>Adds or replaces one container.</summary>
    public void Upsert(ContainerRecord container)
    {
        ArgumentNullException.ThrowIfNull(container);
        lock (_gate)
        {
            if (_containers.TryGetValue(container.Id, out var existing) && existing == container) return;
            _containers = _containers.SetItem(container.Id, container);
            SignalLocked();
        }
    }

    /// <summary>Forgets a container (destroyed, or gone on inspect).</summary>
    public void Remove(string containerId)
    {
        lock (_gate)
        {
            if (!_containers.ContainsKey(containerId)) return;
            _containers = _containers.Remove(containerId);
            SignalLocked();
        }
    }

    /// <summary>Replaces everything with a full list (startup, reconnect, periodic resync); marks the store loaded.</summary>
    public void ReplaceAll(IEnumerable<ContainerRecord> containers)
    {
        var next = containers.ToImmutableDictionary(c => c.Id);
        lock (_gate)
        {
            var same = _loaded && next.Count == _containers.Count &&
                       next.All(kv => _containers.TryGetValue(kv.Key, out var old) && old == kv.Value);
            _loaded = true;
            if (same) return;
            _containers = next;
            SignalLocked();
        }
    }

    /// <summary>Marks the state dirty without a container change (e.g. a periodic resync tick, or a drain deadline).</summary>
    public void MarkDirty()
    {
        lock (_gate) SignalLocked();
    }

    /// <summary>Completes when the revision is greater than <paramref name="seenRevision"/>.</summary>
    public Task WaitForChangeAsync(long seenRevision, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            if (_revision > seenRevision) return Task.CompletedTask;
            signal = _changed.Task;
        }
        return signal.WaitAsync(cancellationToken);
    }

    private void SignalLocked()
    {
        _revision++;
        var previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>An immutable view of all containers at one revision.</summary>
public sealed record ContainerSnapshot(long Revision, ImmutableDictionary<string, ContainerRecord> Containers);
