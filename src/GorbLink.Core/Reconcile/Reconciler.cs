using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Planning;
using GorbLink.Core.Status;
using GorbLink.Ipvs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Core.Reconcile;

/// <summary>
/// One level-triggered reconcile pass at a time: read the kernel's table, plan the writes that make GorbLink's part of
/// it match the desired state, send them as one batch, and record what the kernel accepted in the ownership file.
/// </summary>
/// <remarks>
/// <para>Ownership. GorbLink changes only what it created (<see cref="OwnershipStore"/>). A desired service whose key
/// exists in the kernel but is not owned is refused with an error and left entirely alone; so is a destination inside
/// an owned service that someone else added. Owned services and destinations nobody wants anymore are drained and
/// removed. On the first pass after a restart ownership comes from the file: owned entries still wanted are adopted as
/// they are (nothing is flushed or re-added), owned entries whose containers went away are drained and removed, and
/// entries of the file that are no longer in the kernel are forgotten.</para>
/// <para>The parts, each in its own file: <see cref="OwnedScope"/> restricts the pass to what GorbLink may touch;
/// <see cref="DrainPolicy"/> (on <see cref="DrainTracker"/>) decides draining destinations; <see cref="KernelBatch"/>
/// sends the plan and records what the kernel accepted, write-ahead for crash safety; <see cref="StatusProjection"/>
/// computes the status file from the dump and the per-operation results; <see cref="PassReporter"/> logs each problem
/// once while it lasts; <see cref="CleanupPlan"/> is --cleanup-on-exit.</para>
/// <para>Draining. A destination that is owned and in the kernel, but not wanted or wanted as draining, gets weight 0
/// and is deleted once it has no active or inactive connections, or after the drain timeout; UDP is deleted at once. A
/// draining destination wanted again in time gets its weight back. A service with no destinations left is deleted once
/// its drains end.</para>
/// <para>Failures. An operation the kernel refuses is logged (once while it keeps failing) and retried by the next pass;
/// the rest of the batch stays applied. A netlink failure (no reply, socket error) throws out of the pass.</para>
/// <para>Thread-safe: passes are serialised. Construction does no I/O.</para>
/// </remarks>
public sealed class Reconciler
{
    private readonly IIpvsClient _ipvs;
    private readonly OwnershipStore _ownership;
    private readonly ReconcilerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DrainTracker _drains;
    private readonly DrainPolicy _drainPolicy;
    private readonly PassReporter _report;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _statusPath;

    private IReadOnlyDictionary<DestinationRef, DestinationOwner> _lastOwners = new Dictionary<DestinationRef, DestinationOwner>();
    private long _passes;
    private AgentStatus? _status;
    private DrainEntry[] _drainSnapshot = [];

    public Reconciler(
        IIpvsClient ipvs,
        OwnershipStore ownership,
        ReconcilerOptions? options = null,
        ILogger<Reconciler>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(ipvs);
        ArgumentNullException.ThrowIfNull(ownership);
        _ipvs = ipvs;
        _ownership = ownership;
        _options = options ?? new ReconcilerOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.DrainPollInterval, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.RetryInterval, TimeSpan.Zero, nameof(options));
        _drains = new DrainTracker(_options.DrainTimeout, _time);
        _drainPolicy = new DrainPolicy(_drains, _options, _time);
        _report = new PassReporter(_logger);
        _statusPath = _options.StatusPath ?? StatusFile.PathNextTo(ownership.FilePath);
    }

    public ReconcilerOptions Options => _options;
    public string StatusPath => _statusPath;

    /// <summary>Destinations draining after the last pass.</summary>
    public IReadOnlyList<DrainEntry> Drains => Volatile.Read(ref _drainSnapshot);

    /// <summary>What the last pass left, as written to the status file; null before the first pass.</summary>
    public AgentStatus? Status => Volatile.Read(ref _status);

    /// <summary>One pass: dump, plan (restricted to what GorbLink owns), one batch, record ownership, write status.</summary>
    /// <exception cref="OwnershipFileException">The ownership file is damaged or cannot be written.</exception>
    /// <exception cref="IpvsException">The kernel could not be read or written at all (netlink failure, no permission).</exception>
    public async Task<ReconcileResult> ReconcileAsync(DesiredState desired, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(desired);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        try
        {
            _passes++;
            return await PassAsync(desired, started, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RecordFailedPass(e);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Deletes everything GorbLink owns (--cleanup-on-exit) in one batch, at once, without draining (see
    /// <see cref="CleanupPlan"/>). Afterwards the ownership file lists only what could not be deleted: normally nothing.
    /// </summary>
    public async Task<ReconcileResult> CleanupAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        try
        {
            var (owned, kernel) = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var (plan, kept) = CleanupPlan.Build(owned, kernel,
                (key, foreign) => Log.ServiceKeptForForeignDestinations(_logger, key.ToString(), string.Join(", ", foreign)));
            if (_options.DryRun)
            {
                foreach (var step in plan.Steps) Log.WouldApply(_logger, step.Description);
                return new ReconcileResult { Plan = plan, DryRun = true, Duration = _time.GetElapsedTime(started) };
            }

            var outcome = await KernelBatch.ExecuteAsync(_ipvs, _ownership, plan, owned, _drains,
                step => Log.Applied(_logger, step.Description), cancellationToken).ConfigureAwait(false);
            _report.RefusedWrites(outcome.Failures);
            _drains.Clear();
            var table = owned.ToTable();
            _ownership.Save(table);
            Log.CleanupDone(_logger, plan.Summary(), outcome.Failures.Count, kept);
            var result = new ReconcileResult
            {
                Plan = plan,
                Failures = outcome.Failures,
                Applied = outcome.AcceptedCount,
                Batches = plan.IsEmpty ? 0 : 1,
                Duration = _time.GetElapsedTime(started),
            };
            PublishStatus(BuildStatus(kernel, table, DesiredState.Empty, outcome, refusals: [], result));
            ThrowIfPermissionDenied(outcome);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ReconcileResult> PassAsync(DesiredState desired, long started, CancellationToken cancellationToken)
    {
        var (owned, kernel) = await ReadAsync(cancellationToken).ConfigureAwait(false);
        _drains.Retain(d => owned.Owns(d.Service, d.Destination));

        var scope = OwnedScope.Build(desired, owned, kernel, _drainPolicy, _lastOwners);
        _report.KeptServices(scope.KeptForForeign);
        _report.Refusals(scope.Refusals);
        var plan = IpvsPlanner.Plan(scope.Desired, scope.Actual, new IpvsPlannerOptions { Prune = true });
        _lastOwners = desired.Owners;

        if (_options.DryRun)
        {
            _report.DryRun(plan.Describe(), plan.Steps.Count, plan.Steps.Select(step => Describe(step, scope.Reasons, desired)));
            var dry = new ReconcileResult
            {
                Plan = plan,
                Refusals = scope.Refusals,
                PendingDrains = _drains.Count,
                DryRun = true,
                Duration = _time.GetElapsedTime(started),
                NextWakeUp = _drainPolicy.NextWakeUp(failed: false),
            };
            PublishStatus(BuildStatus(kernel, owned.ToTable(), desired, BatchOutcome.None, scope.Refusals, dry));
            return dry;
        }

        var outcome = await KernelBatch.ExecuteAsync(_ipvs, _ownership, plan, owned, _drains,
            step => Log.Applied(_logger, Describe(step, scope.Reasons, desired)), cancellationToken).ConfigureAwait(false);
        _report.RefusedWrites(outcome.Failures);
        var table = owned.ToTable();
        _ownership.Save(table);

        var duration = _time.GetElapsedTime(started);
        if (plan.IsEmpty) Log.PassUnchanged(_logger, duration.TotalMilliseconds, _drains.Count);
        else Log.PassApplied(_logger, duration.TotalMilliseconds, plan.Summary(), outcome.Failures.Count, _drains.Count);
        var result = new ReconcileResult
        {
            Plan = plan,
            Failures = outcome.Failures,
            Refusals = scope.Refusals,
            Applied = outcome.AcceptedCount,
            Batches = plan.IsEmpty ? 0 : 1,
            PendingDrains = _drains.Count,
            Duration = duration,
            NextWakeUp = _drainPolicy.NextWakeUp(outcome.Failures.Count > 0),
        };
        PublishStatus(BuildStatus(kernel, table, desired, outcome, scope.Refusals, result));
        ThrowIfPermissionDenied(outcome);
        return result;
    }

    /// <summary>The ownership record and the kernel's table, with owned entries the kernel no longer has forgotten.</summary>
    private async Task<(OwnedTable.Builder Owned, Dictionary<VirtualServiceKey, VirtualServiceTable> Kernel)> ReadAsync(CancellationToken cancellationToken)
    {
        var loaded = _ownership.Load();
        _report.OwnershipLoaded(_ownership, loaded);
        var owned = loaded.ToBuilder();
        var kernel = OwnedScope.Index(await _ipvs.GetTableAsync(cancellationToken).ConfigureAwait(false));
        OwnedScope.ForgetStale(owned, kernel,
            key => Log.ForgotService(_logger, key.ToString()),
            d => Log.ForgotDestination(_logger, d.Destination.ToString(), d.Service.ToString()));
        return (owned, kernel);
    }

    private static void ThrowIfPermissionDenied(BatchOutcome outcome)
    {
        // Without CAP_NET_ADMIN nothing can succeed: that is a failed pass, not a refused operation.
        foreach (var failure in outcome.Failures)
        {
            if (failure.Error is IpvsPermissionException) throw failure.Error;
        }
    }

    private static string Describe(IpvsPlanStep step, Dictionary<DestinationRef, string> reasons, DesiredState desired)
    {
        var reference = step.Operation switch
        {
            IpvsOperation.CreateDestination o => new DestinationRef(o.Service, o.Destination.Key),
            IpvsOperation.UpdateDestination o => new DestinationRef(o.Service, o.Destination.Key),
            IpvsOperation.DeleteDestination o => new DestinationRef(o.Service, o.Destination),
            _ => (DestinationRef?)null,
        };
        if (reference is not { } r) return step.Description;
        if (reasons.TryGetValue(r, out var reason)) return $"{step.Description}: {reason}";
        if (desired.OwnerOf(r.Service, r.Destination) is { } owner) return $"{step.Description} for {owner}";
        return step.Description;
    }

    private AgentStatus BuildStatus(
        Dictionary<VirtualServiceKey, VirtualServiceTable> kernel,
        OwnedTable owned,
        DesiredState desired,
        BatchOutcome outcome,
        IReadOnlyList<ReconcileRefusal> refusals,
        ReconcileResult result) => new()
    {
        Written = _time.GetUtcNow(),
        AgentVersion = _ownership.Options.AgentVersion,
        LabelPrefix = _ownership.Options.LabelPrefix,
        DryRun = result.DryRun,
        Passes = _passes,
        LastPassMilliseconds = result.Duration.TotalMilliseconds,
        LastPassWrites = result.Applied,
        Services = StatusProjection.Project(kernel, owned, desired, _drains, outcome),
        Refused = [.. refusals.Select(r => r.Message)],
        Failures = [.. outcome.Failures.Select(f => f.Message)],
        ContainerErrors = [.. desired.Errors.Select(e => e.Message), .. desired.Conflicts.Select(c => c.Message)],
    };

    private void RecordFailedPass(Exception e)
    {
        var previous = Volatile.Read(ref _status) ?? new AgentStatus
        {
            AgentVersion = _ownership.Options.AgentVersion,
            LabelPrefix = _ownership.Options.LabelPrefix,
            DryRun = _options.DryRun,
        };
        PublishStatus(previous with
        {
            Written = _time.GetUtcNow(),
            Passes = _passes,
            LastError = e.Message,
            LastErrorAt = _time.GetUtcNow(),
        });
    }

    private void PublishStatus(AgentStatus status)
    {
        Volatile.Write(ref _status, status);
        Volatile.Write(ref _drainSnapshot, [.. _drains.Entries]);
        if (_options.DryRun || !_options.WriteStatus) return;
        try
        {
            StatusFile.Write(_statusPath, status);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StatusWriteFailed(_logger, _statusPath, e.Message);
        }
    }
}
