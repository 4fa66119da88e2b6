using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

/// <summary>serve's services and backends by ID: what the REST API asked for. Only touched under <see cref="ServeState"/>'s lock.</summary>
internal sealed class ServeTables
{
    public Dictionary<string, ServiceEntry> Services { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, BackendEntry> Backends { get; } = new(StringComparer.Ordinal);

    public IEnumerable<BackendEntry> BackendsOf(ServiceEntry service) => service.Backends.Select(id => Backends[id]);
}

/// <summary>
/// serve's desired state, as a source of the kernel pipeline: a REST call or a health-check transition changes it
/// (<see cref="Change"/>: the revision grows, serve-state.json is rewritten) and nothing else; the kernel pipeline reads a
/// whole new <see cref="DesiredState"/> when it is ready (level-triggered). Each service's backends are desired at the
/// weight the client set, or 0 while their health check says down (GORB's pulse); a service exists in the kernel
/// even with no backends, as in GORB.
/// </summary>
internal sealed class ServeState(string statePath, ILogger logger) : IDesiredStateSource
{
    /// <summary>ServiceInfo.HolderName of serve's services (the kernel status names it).</summary>
    public const string Holder = "serve";

    private readonly Lock _lock = new();
    private readonly ServeTables _tables = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision;
    private long _undecided;
    private long _decidedAt;
    private bool _tried;
    private TaskCompletionSource _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsLoaded => true;

    public long Revision => Interlocked.Read(ref _revision);

    public string StatePath => statePath;

    /// <summary>Runs <paramref name="read"/> under the lock: GET handlers and metrics see one consistent state.</summary>
    public T Read<T>(Func<ServeTables, T> read)
    {
        lock (_lock) return read(_tables);
    }

    /// <summary>
    /// Runs <paramref name="change"/> under the lock; unless it throws (a refused request changes nothing; it must
    /// check before it writes), the revision grows, the file is rewritten when <paramref name="save"/>, and the loop
    /// wakes. Returns the new revision.
    /// </summary>
    /// <param name="awaitVerdict">
    /// A request's change, which its first kernel pass decides on: kept, or taken back by the request. Until the
    /// request calls <see cref="Decided"/>, a second pass waits (<see cref="WaitIfUndecidedAsync"/>).
    /// </param>
    public long Change(Action<ServeTables> change, bool save = true, bool awaitVerdict = false)
    {
        TaskCompletionSource changed;
        long revision;
        lock (_lock)
        {
            change(_tables);
            if (save) Save();
            revision = Interlocked.Increment(ref _revision);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (awaitVerdict)
            {
                _undecided = revision;
                _tried = false;
                _decided = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        changed.TrySetResult();
        return revision;
    }

    /// <summary>The request whose change was made with awaitVerdict has kept it or taken it back.</summary>
    public void Decided()
    {
        TaskCompletionSource decided;
        lock (_lock)
        {
            _undecided = 0;
            _decidedAt = _revision;
            decided = _decided;
        }
        decided.TrySetResult();
    }

    /// <summary>
    /// Called before each kernel pass of <paramref name="revision"/>. The first pass that includes an undecided
    /// change goes ahead (it is the one its request waits for); any later one waits until the request decided, so
    /// that a retry never applies a change its request is about to take back. True when the pass must apply the state
    /// as it is now instead: it waited, or its snapshot is older than the last decision (the pipeline had not yet
    /// built the state after a take-back).
    /// </summary>
    public async Task<bool> WaitIfUndecidedAsync(long revision, CancellationToken cancellationToken)
    {
        Task decided;
        lock (_lock)
        {
            if (_undecided == 0 || revision < _undecided) return revision < _decidedAt;
            if (!_tried)
            {
                _tried = true;
                return false;
            }
            decided = _decided.Task;
        }
        await decided.WaitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task WaitForChangeAsync(long seenRevision, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_revision > seenRevision) return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Serve's services name their VIP: one state for every sink, whatever its default VIP.</summary>
    public DesiredSnapshot Build(DesiredSnapshot? previous, IReadOnlyList<DefaultVip> defaultVips)
    {
        lock (_lock)
        {
            var services = new List<(string, DesiredService)>(_tables.Services.Count);
            foreach (var service in _tables.Services.Values)
            {
                var destinations = _tables.BackendsOf(service)
                    .Select(b => b.Destination with { Spec = b.Destination.Spec with { Weight = b.KernelWeight } })
                    .ToList();
                services.Add((service.Id, new DesiredService(service.Service, destinations) { KeepWhenEmpty = true }));
            }
            return new DesiredSnapshot(_revision, DesiredState.FromServices(services, Holder));
        }
    }

    private void Save()
    {
        try
        {
            ServeStateFile.Write(statePath, _tables.Services.Values, _tables.Backends.Values);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StateWriteFailed(logger, statePath, e.Message);
        }
    }
}
