using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Core.Reconcile;

public sealed record ReconcileLoopOptions
{
    /// <summary>--resync-interval: a pass runs at least this often even when nothing changed (someone may have edited the table).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After a change, wait this long before reading the containers, so that a burst of events becomes one pass.</summary>
    public TimeSpan CoalesceDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Delay after the first failed pass; doubles with every further failure up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// End <see cref="ReconcileLoop.RunAsync"/> with the exception when the very first pass fails, instead of retrying;
    /// for hosts that would rather exit (and be restarted) than run without having programmed anything.
    /// </summary>
    public bool FailFastOnFirstPass { get; init; }
}

/// <summary>What the loop is doing right now.</summary>
public enum ReconcileLoopState
{
    NotStarted,
    /// <summary>Nothing is programmed before the initial container list has been loaded.</summary>
    WaitingForContainers,
    /// <summary>Waiting for a container change, a drain check or the periodic resync.</summary>
    Idle,
    /// <summary>A change arrived; waiting the coalescing delay for more before the pass.</summary>
    Coalescing,
    Reconciling,
    /// <summary>The last pass failed; waiting before the next attempt (changes do not cut this short).</summary>
    BackingOff,
    Stopped,
}

/// <summary>Counters of the loop, for logs and metrics.</summary>
public sealed record ReconcileCounters
{
    public long Passes { get; init; }
    public long FailedPasses { get; init; }
    /// <summary>Batches sent to the kernel (passes with something to write).</summary>
    public long Batches { get; init; }
    /// <summary>Operations the kernel accepted, over all passes.</summary>
    public long WritesApplied { get; init; }
    /// <summary>Operations the kernel refused, over all passes.</summary>
    public long WritesRefused { get; init; }
    /// <summary>Failed passes since the last successful one; 0 when the last pass succeeded.</summary>
    public int ConsecutiveFailures { get; init; }
    public TimeSpan LastDuration { get; init; }
    public DateTimeOffset? LastPassAt { get; init; }
    /// <summary>The most recent failed pass's error (kept after recovery; see <see cref="ConsecutiveFailures"/>).</summary>
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    public int PendingDrains { get; init; }
}

/// <summary>
/// The single level-triggered loop: container changes only mark the store dirty; this loop recomputes the whole desired
/// state and reconciles the kernel to it, whenever the store changes (coalesced), a drain needs checking, or the
/// periodic resync is due. Nothing is programmed before the initial container list. A failed pass is logged and retried
/// with backoff (1 s doubling to 30 s by default).
/// </summary>
public sealed class ReconcileLoop
{
    private readonly ContainerStore _store;
    private readonly DesiredStateBuilder _builder;
    private readonly Reconciler _reconciler;
    private readonly ReconcileLoopOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<ReconcileResult> _firstPass = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _countersGate = new();
    private ReconcileCounters _counters = new();
    private HashSet<string> _reportedErrors = new(StringComparer.Ordinal);
    private Dictionary<string, string> _erroredContainers = new(StringComparer.Ordinal);
    private volatile DesiredState? _desired;
    private IReconcilePassObserver[] _observers = [];
    private int _state = (int)ReconcileLoopState.NotStarted;
    private int _started;

    public ReconcileLoop(
        ContainerStore store,
        DesiredStateBuilder builder,
        Reconciler reconciler,
        ReconcileLoopOptions? options = null,
        ILogger<ReconcileLoop>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(reconciler);
        _store = store;
        _builder = builder;
        _reconciler = reconciler;
        _options = options ?? new ReconcileLoopOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.ResyncInterval, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.CoalesceDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.InitialBackoff, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBackoff, _options.InitialBackoff, nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Completes with the first successful pass (readiness; its Duration is the startup cost). Faults when the loop ends
    /// before one: a fatal error (damaged ownership file), or a first-pass failure with <see cref="ReconcileLoopOptions.FailFastOnFirstPass"/>.
    /// Cancelled when the loop is stopped first. Meanwhile <see cref="Counters"/> shows failed attempts.
    /// </summary>
    public Task<ReconcileResult> FirstPassCompleted => _firstPass.Task;

    public ReconcileLoopState State => (ReconcileLoopState)Volatile.Read(ref _state);

    public ReconcileCounters Counters { get { lock (_countersGate) return _counters; } }

    /// <summary>The desired state of the last pass; null before the first.</summary>
    public DesiredState? Desired => _desired;

    public Reconciler Reconciler => _reconciler;

    /// <summary>Adds an observer of successful passes; call before <see cref="RunAsync"/>.</summary>
    public void AddObserver(IReconcilePassObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (Volatile.Read(ref _started) == 1) throw new InvalidOperationException("add observers before the loop runs");
        _observers = [.. _observers, observer];
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (then returns normally) or a fatal error.</summary>
    /// <exception cref="OwnershipFileException">The ownership file is damaged or cannot be written: fixing that takes the user.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) throw new InvalidOperationException("the reconcile loop is already running");
        try
        {
            await WaitForContainersAsync(cancellationToken).ConfigureAwait(false);
            await LoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            SetState(ReconcileLoopState.Stopped);
            _firstPass.TrySetCanceled(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(true));
        }
    }

    private async Task WaitForContainersAsync(CancellationToken cancellationToken)
    {
        SetState(ReconcileLoopState.WaitingForContainers);
        var logged = false;
        while (true)
        {
            var revision = _store.Revision;
            if (_store.IsLoaded) return;
            if (!logged)
            {
                Log.WaitingForContainers(_logger);
                logged = true;
            }
            await _store.WaitForChangeAsync(revision, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var backoff = _options.InitialBackoff;
        var failuresInRow = 0;
        DesiredState? previous = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SetState(ReconcileLoopState.Reconciling);
            var snapshot = _store.Snapshot();
            DateTimeOffset wakeAt;
            bool watchChanges;
            try
            {
                var desired = _builder.Build(snapshot, previous);
                previous = desired;
                _desired = desired;
                ReportContainerProblems(desired);
                var result = await _reconciler.ReconcileAsync(desired, cancellationToken).ConfigureAwait(false);
                Count(result);
                await NotifyAsync(desired, result, cancellationToken).ConfigureAwait(false);
                if (failuresInRow > 0) Log.Recovered(_logger, failuresInRow);
                failuresInRow = 0;
                backoff = _options.InitialBackoff;
                if (!_firstPass.Task.IsCompleted)
                {
                    Log.FirstPass(_logger, result.Duration.TotalMilliseconds, desired.Services.Count, result.Plan.Summary());
                    _firstPass.TrySetResult(result);
                }
                wakeAt = _time.GetUtcNow() + _options.ResyncInterval;
                if (result.NextWakeUp is { } next && next < wakeAt) wakeAt = next;
                watchChanges = true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                failuresInRow++;
                CountFailure(e);
                if (e is OwnershipFileException || (_options.FailFastOnFirstPass && !_firstPass.Task.IsCompleted))
                {
                    Log.Fatal(_logger, e, e.Message);
                    _firstPass.TrySetException(e);
                    throw;
                }
                Log.PassFailed(_logger, e, failuresInRow, e.Message, backoff);
                wakeAt = _time.GetUtcNow() + backoff;
                backoff = backoff * 2 > _options.MaxBackoff ? _options.MaxBackoff : backoff * 2;
                watchChanges = false;
            }

            var changed = await WaitAsync(snapshot.Revision, wakeAt, watchChanges, cancellationToken).ConfigureAwait(false);
            if (changed && _options.CoalesceDelay > TimeSpan.Zero)
            {
                var delay = Task.Delay(_options.CoalesceDelay, _time, cancellationToken);
                SetState(ReconcileLoopState.Coalescing);
                await delay.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits for a change after <paramref name="seenRevision"/> (if watched) or until <paramref name="wakeAt"/>; true for a change.</summary>
    private async Task<bool> WaitAsync(long seenRevision, DateTimeOffset wakeAt, bool watchChanges, CancellationToken cancellationToken)
    {
        var delay = wakeAt - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            // Overdue: still take a change that is already there, so that it is coalesced like any other.
            return watchChanges && _store.Revision > seenRevision;
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, _time, cts.Token);
        if (!watchChanges)
        {
            SetState(ReconcileLoopState.BackingOff);
            await timer.ConfigureAwait(false);
            return false;
        }
        var change = _store.WaitForChangeAsync(seenRevision, cts.Token);
        SetState(ReconcileLoopState.Idle);
        var first = await Task.WhenAny(change, timer).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == change;
    }

    private async Task NotifyAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken)
    {
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnPassAsync(desired, result, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.ObserverFailed(_logger, e, observer.GetType().Name, e.Message);
            }
        }
    }

    /// <summary>Logs label errors and conflicts the first time they appear, not on every pass.</summary>
    private void ReportContainerProblems(DesiredState desired)
    {
        var current = new HashSet<string>(StringComparer.Ordinal);
        var containers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var error in desired.Errors)
        {
            current.Add(error.Message);
            containers.TryAdd(error.ContainerId, $"{error.ContainerName} ({error.ShortId})");
            if (!_reportedErrors.Contains(error.Message)) Log.LabelError(_logger, error.Message);
        }
        foreach (var conflict in desired.Conflicts)
        {
            current.Add(conflict.Message);
            containers.TryAdd(conflict.ContainerId, $"{conflict.ContainerName} ({conflict.ShortId})");
            if (!_reportedErrors.Contains(conflict.Message)) Log.Conflict(_logger, conflict.Message);
        }
        foreach (var (id, name) in _erroredContainers)
        {
            if (!containers.ContainsKey(id) && desired.Contains(id)) Log.ContainerErrorResolved(_logger, name);
        }
        _reportedErrors = current;
        _erroredContainers = containers;
    }

    private void Count(ReconcileResult result)
    {
        lock (_countersGate)
        {
            _counters = _counters with
            {
                Passes = _counters.Passes + 1,
                Batches = _counters.Batches + result.Batches,
                WritesApplied = _counters.WritesApplied + result.Applied,
                WritesRefused = _counters.WritesRefused + result.Failures.Count,
                LastDuration = result.Duration,
                LastPassAt = _time.GetUtcNow(),
                ConsecutiveFailures = 0,
                PendingDrains = result.PendingDrains,
            };
        }
    }

    private void CountFailure(Exception e)
    {
        lock (_countersGate)
        {
            _counters = _counters with
            {
                Passes = _counters.Passes + 1,
                FailedPasses = _counters.FailedPasses + 1,
                ConsecutiveFailures = _counters.ConsecutiveFailures + 1,
                LastPassAt = _time.GetUtcNow(),
                LastError = e.Message,
                LastErrorAt = _time.GetUtcNow(),
            };
        }
    }

    private void SetState(ReconcileLoopState state) => Volatile.Write(ref _state, (int)state);
}
