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
    public long Change(Action<ServeTables> change, bool save = true)
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
        }
        changed.TrySetResult();
        return revision;
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
