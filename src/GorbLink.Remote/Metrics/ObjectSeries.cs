namespace GorbLink.Remote.Metrics;

/// <summary>
/// One kind of object (destinations, services) whose label sets fill the per-object instruments' slots in the
/// OpenTelemetry SDK: with cumulative temporality a label set keeps its slot as long as the meter provider lives, even
/// after its object has gone. Each collection reports the objects it sees; the count of label sets since the provider
/// was built is an upper bound (an object that leaves and comes back is counted twice), kept with only the last
/// report's identities, so it costs memory for the objects there are, not for those there were.
/// </summary>
/// <remarks>
/// A new provider is due when that count passes three quarters of the limit and at least a quarter of the limit is held
/// by objects that are gone: the last quarter is room for the objects that appear before the provider is rebuilt (at the
/// next scrape, or right after the collection that found it due), and at least a quarter of the limit in new objects
/// comes between two rebuilds, however large the table.
/// </remarks>
public sealed class ObjectSeries
{
    private readonly Lock _gate = new();
    private readonly int _dueAbove;
    private readonly int _goneAtLeast;
    private readonly Action _onDue;
    private HashSet<long> _last = [];
    private HashSet<long> _now = [];
    private int _sinceBuilt;

    internal ObjectSeries(int limit, Action onDue)
    {
        _dueAbove = limit - limit / 4;
        _goneAtLeast = Math.Max(1, limit / 4);
        _onDue = onDue;
    }

    /// <summary>Label sets the SDK may hold since the provider was built (an upper bound).</summary>
    public int SinceBuilt
    {
        get { lock (_gate) return _sinceBuilt; }
    }

    /// <summary>True when rebuilding the provider would give back enough slots and the count nears the limit.</summary>
    public bool Due
    {
        get { lock (_gate) return IsDue(); }
    }

    /// <summary>The objects one collection reports, by <see cref="LabelSetIdentity"/>.</summary>
    public void Report(IEnumerable<long> identities)
    {
        bool due;
        lock (_gate)
        {
            _now.Clear();
            foreach (var identity in identities)
            {
                if (_now.Add(identity) && !_last.Contains(identity)) _sinceBuilt++;
            }
            (_last, _now) = (_now, _last);
            due = IsDue();
        }
        if (due) _onDue();
    }

    /// <summary>A new provider holds nothing: the next report counts all its objects again.</summary>
    internal void Restart()
    {
        lock (_gate)
        {
            _last.Clear();
            _now.Clear();
            _sinceBuilt = 0;
        }
    }

    private bool IsDue() => _sinceBuilt > _dueAbove && _sinceBuilt - _last.Count >= _goneAtLeast;
}
