using System.Globalization;
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
/// <para>Crash safety. Before a batch that creates something, the owned set plus the planned creates is written to the
/// file; after the batch the file is rewritten with exactly what the kernel accepted. A crash in between leaves the
/// file listing a little more than the kernel has, which the next pass forgets; it never leaves an entry GorbLink
/// created unlisted, where it would be foreign forever.</para>
/// <para>Draining (<see cref="DrainTracker"/>). A destination that is owned and in the kernel, but not wanted or wanted
/// as draining, gets weight 0 and is deleted once it has no active or inactive connections, or after the drain
/// timeout; UDP is deleted at once. A draining destination wanted again in time gets its weight back. A service with
/// no destinations left is deleted once its drains end.</para>
/// <para>Failures. An operation the kernel refuses is logged (once while it keeps failing) and retried by the next pass;
/// the rest of the batch stays applied. A netlink failure (no reply, socket error) throws out of the pass.</para>
/// <para>Thread-safe: passes are serialised. Construction does no I/O.</para>
/// </remarks>
public sealed class Reconciler
{
    private const int ENOENT = 2, ESRCH = 3;

    private readonly IIpvsClient _ipvs;
    private readonly OwnershipStore _ownership;
    private readonly ReconcilerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DrainTracker _drains;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _statusPath;

    private HashSet<string> _reportedRefusals = new(StringComparer.Ordinal);
    private Dictionary<VirtualServiceKey, string> _refusedServices = [];
    private HashSet<string> _reportedFailures = new(StringComparer.Ordinal);
    private HashSet<VirtualServiceKey> _reportedKeptServices = [];
    private IReadOnlyDictionary<DestinationRef, DestinationOwner> _lastOwners = new Dictionary<DestinationRef, DestinationOwner>();
    private string? _lastDryRunPlan;
    private bool _ownershipReported;
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
    /// Deletes everything GorbLink owns (--cleanup-on-exit) in one batch, at once, without draining. Foreign entries stay;
    /// an owned service that holds destinations someone else added keeps them and stays too (only GorbLink's destinations
    /// go). Afterwards the ownership file lists only what could not be deleted: normally nothing.
    /// </summary>
    public async Task<ReconcileResult> CleanupAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        try
        {
            var owned = LoadOwnership().ToBuilder();
            var tables = await _ipvs.GetTableAsync(cancellationToken).ConfigureAwait(false);
            var kernel = Index(tables);
            ForgetStale(owned, kernel);

            var steps = new List<IpvsPlanStep>();
            var kept = 0;
            foreach (var key in owned.Services.Order(KeyOrder.Instance).ToList())
            {
                var table = kernel[key];
                var foreign = table.Destinations.Where(d => !owned.Owns(key, d.Key)).Select(d => d.Key).ToList();
                if (foreign.Count == 0)
                {
                    steps.Add(Step(new IpvsOperation.DeleteService(key)));
                    continue;
                }
                kept++;
                Log.ServiceKeptForForeignDestinations(_logger, key.ToString(), string.Join(", ", foreign));
                foreach (var destination in owned.DestinationsOf(key).Order(KeyOrder.Instance))
                    steps.Add(Step(new IpvsOperation.DeleteDestination(key, destination)));
            }
            var plan = new IpvsPlan(steps);
            if (_options.DryRun)
            {
                foreach (var step in plan.Steps) Log.WouldApply(_logger, step.Description);
                return new ReconcileResult { Plan = plan, DryRun = true, Duration = _time.GetElapsedTime(started) };
            }

            var (failures, applied) = await ExecuteAsync(plan, owned, reasons: null, owners: null, cancellationToken).ConfigureAwait(false);
            _drains.Clear();
            _ownership.Save(owned.ToTable());
            Log.CleanupDone(_logger, plan.Summary(), failures.Count, kept);
            var result = new ReconcileResult
            {
                Plan = plan,
                Failures = failures,
                Applied = applied,
                Batches = plan.IsEmpty ? 0 : 1,
                Duration = _time.GetElapsedTime(started),
            };
            PublishStatus(BuildStatus(kernel, owned, DesiredState.Empty, plan, FailedIndices(plan, failures), refusals: [], failures, result));
            ThrowIfPermissionDenied(failures);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ReconcileResult> PassAsync(DesiredState desired, long started, CancellationToken cancellationToken)
    {
        var owned = LoadOwnership().ToBuilder();
        var tables = await _ipvs.GetTableAsync(cancellationToken).ConfigureAwait(false);
        var kernel = Index(tables);
        ForgetStale(owned, kernel);
        _drains.Retain(d => owned.Owns(d.Service, d.Destination));

        var pass = new PassPlan(desired, owned, _drains, _lastOwners, _time.GetUtcNow());
        var handled = new HashSet<VirtualServiceKey>();
        foreach (var service in desired.Services)
        {
            var current = kernel.GetValueOrDefault(service.Key);
            if (current is not null && !owned.Owns(service.Key))
            {
                pass.Refusals.Add(ForeignService(service, desired));
                continue;
            }
            handled.Add(service.Key);
            pass.PlanService(service.Service, service.Destinations, current, wanted: true, service.KeepWhenEmpty);
        }
        var kept = new HashSet<VirtualServiceKey>();
        foreach (var key in owned.Services.Order(KeyOrder.Instance))
        {
            if (handled.Contains(key)) continue;
            var current = kernel[key];
            if (pass.PlanService(current.Service.Service, [], current, wanted: false) is not { Count: > 0 } foreign) continue;
            kept.Add(key);
            if (!_reportedKeptServices.Contains(key))
                Log.ServiceKeptForForeignDestinations(_logger, key.ToString(), string.Join(", ", foreign));
        }
        _reportedKeptServices = kept;
        ReportRefusals(pass.Refusals);

        var plan = IpvsPlanner.Plan(pass.Desired, pass.Actual, new IpvsPlannerOptions { Prune = true });
        _lastOwners = desired.Owners;

        if (_options.DryRun)
        {
            var text = plan.Describe();
            if (!plan.IsEmpty && text == _lastDryRunPlan) Log.DryRunUnchanged(_logger, plan.Steps.Count);
            else foreach (var step in plan.Steps) Log.WouldApply(_logger, Describe(step, pass.Reasons, desired));
            _lastDryRunPlan = text;
            var dry = new ReconcileResult
            {
                Plan = plan,
                Refusals = pass.Refusals,
                PendingDrains = _drains.Count,
                DryRun = true,
                Duration = _time.GetElapsedTime(started),
                NextWakeUp = NextWakeUp(failed: false),
            };
            PublishStatus(BuildStatus(kernel, owned, desired, plan, failed: null, pass.Refusals, [], dry));
            return dry;
        }

        var (failures, applied) = await ExecuteAsync(plan, owned, pass.Reasons, desired, cancellationToken).ConfigureAwait(false);
        _ownership.Save(owned.ToTable());

        var duration = _time.GetElapsedTime(started);
        if (plan.IsEmpty) Log.PassUnchanged(_logger, duration.TotalMilliseconds, _drains.Count);
        else Log.PassApplied(_logger, duration.TotalMilliseconds, plan.Summary(), failures.Count, _drains.Count);
        var result = new ReconcileResult
        {
            Plan = plan,
            Failures = failures,
            Refusals = pass.Refusals,
            Applied = applied,
            Batches = plan.IsEmpty ? 0 : 1,
            PendingDrains = _drains.Count,
            Duration = duration,
            NextWakeUp = NextWakeUp(failures.Count > 0),
        };
        PublishStatus(BuildStatus(kernel, owned, desired, plan, FailedIndices(plan, failures), pass.Refusals, failures, result));
        ThrowIfPermissionDenied(failures);
        return result;
    }

    /// <summary>Sends the plan as one batch and brings ownership and drains in line with what the kernel accepted.</summary>
    private async Task<(IReadOnlyList<IpvsException> Failures, int Applied)> ExecuteAsync(
        IpvsPlan plan,
        OwnedTable.Builder owned,
        Dictionary<DestinationRef, string>? reasons,
        DesiredState? owners,
        CancellationToken cancellationToken)
    {
        if (plan.IsEmpty) return ([], 0);

        // Write-ahead: list what is about to be created before creating it (see remarks).
        var creates = plan.Operations.Where(o => o.Kind is IpvsOperationKind.CreateService or IpvsOperationKind.CreateDestination).ToList();
        if (creates.Count > 0)
        {
            var ahead = owned.ToTable().ToBuilder();
            foreach (var operation in creates) Record(ahead, operation);
            _ownership.Save(ahead.ToTable());
        }

        var batch = await _ipvs.ExecuteAsync(plan.Operations, cancellationToken).ConfigureAwait(false);
        var failed = FailedIndices(plan, batch.Failures);
        var applied = 0;
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            if (failed.TryGetValue(i, out var failure))
            {
                // A delete of something already gone did what it was meant to.
                if (failure.Errno is ENOENT or ESRCH && step.Operation.Kind is IpvsOperationKind.DeleteService or IpvsOperationKind.DeleteDestination)
                    Record(owned, step.Operation);
                continue;
            }
            applied++;
            Record(owned, step.Operation);
            Log.Applied(_logger, Describe(step, reasons, owners));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var failure in batch.Failures)
        {
            seen.Add(failure.Message);
            if (_reportedFailures.Contains(failure.Message)) Log.OperationRefusedAgain(_logger, failure.Message);
            else Log.OperationRefused(_logger, failure.Message);
        }
        _reportedFailures = seen;
        return (batch.Failures, applied);
    }

    private void Record(OwnedTable.Builder owned, IpvsOperation operation)
    {
        switch (operation)
        {
            case IpvsOperation.CreateService create:
                owned.AddService(create.Service.Key);
                break;
            case IpvsOperation.CreateDestination create:
                owned.AddDestination(create.Service, create.Destination.Key);
                break;
            case IpvsOperation.DeleteService delete:
                foreach (var destination in owned.DestinationsOf(delete.Service).ToList())
                    _drains.Forget(new DestinationRef(delete.Service, destination));
                owned.RemoveService(delete.Service);
                break;
            case IpvsOperation.DeleteDestination delete:
                owned.RemoveDestination(delete.Service, delete.Destination);
                _drains.Forget(new DestinationRef(delete.Service, delete.Destination));
                break;
        }
    }

    /// <summary>Which operations of the plan failed: failures name their operation by kind and target, which are unique in a plan.</summary>
    private static Dictionary<int, IpvsException> FailedIndices(IpvsPlan plan, IReadOnlyList<IpvsException> failures)
    {
        var result = new Dictionary<int, IpvsException>();
        if (failures.Count == 0) return result;
        var index = new Dictionary<(IpvsOperationKind, string), int>();
        for (var i = 0; i < plan.Operations.Count; i++) index.TryAdd((plan.Operations[i].Kind, plan.Operations[i].Target), i);
        foreach (var failure in failures)
        {
            if (index.TryGetValue((failure.Operation, failure.Target), out var i)) result.TryAdd(i, failure);
        }
        return result;
    }

    private static void ThrowIfPermissionDenied(IReadOnlyList<IpvsException> failures)
    {
        // Without CAP_NET_ADMIN nothing can succeed: that is a failed pass, not a refused operation.
        foreach (var failure in failures)
        {
            if (failure is IpvsPermissionException) throw failure;
        }
    }

    private OwnedTable LoadOwnership()
    {
        var table = _ownership.Load();
        if (_ownershipReported) return table;
        _ownershipReported = true;
        if (_ownership.LoadedFile is not { } file)
        {
            Log.OwnershipFileMissing(_logger, _ownership.FilePath);
            return table;
        }
        Log.OwnershipLoaded(_logger, file.Path, table.ServiceCount, table.DestinationCount);
        if (file.LabelPrefix is { } prefix && !string.Equals(prefix, _ownership.Options.LabelPrefix, StringComparison.Ordinal))
            Log.LabelPrefixChanged(_logger, file.Path, prefix, _ownership.Options.LabelPrefix);
        return table;
    }

    private static Dictionary<VirtualServiceKey, VirtualServiceTable> Index(IReadOnlyList<VirtualServiceTable> tables)
    {
        var kernel = new Dictionary<VirtualServiceKey, VirtualServiceTable>(tables.Count);
        foreach (var table in tables) kernel.TryAdd(table.Key, table);
        return kernel;
    }

    /// <summary>Forgets owned entries the kernel no longer has (deleted by someone else, or never created before a crash).</summary>
    private void ForgetStale(OwnedTable.Builder owned, Dictionary<VirtualServiceKey, VirtualServiceTable> kernel)
    {
        foreach (var key in owned.Services.ToList())
        {
            if (!kernel.TryGetValue(key, out var table))
            {
                owned.RemoveService(key);
                Log.ForgotService(_logger, key.ToString());
                continue;
            }
            var present = new HashSet<DestinationKey>(table.Destinations.Count);
            foreach (var destination in table.Destinations) present.Add(destination.Key);
            owned.RemoveDestinationsWhere(key, d =>
            {
                if (present.Contains(d)) return false;
                Log.ForgotDestination(_logger, d.ToString(), key.ToString());
                return true;
            });
        }
    }

    private DateTimeOffset? NextWakeUp(bool failed)
    {
        var now = _time.GetUtcNow();
        DateTimeOffset? next = null;
        if (_drains.Count > 0)
        {
            next = now + _options.DrainPollInterval;
            if (_drains.EarliestDeadline is { } deadline && deadline < next) next = deadline < now ? now : deadline;
        }
        if (failed && (next is null || now + _options.RetryInterval < next)) next = now + _options.RetryInterval;
        return next;
    }

    private void ReportRefusals(List<ReconcileRefusal> refusals)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var services = new Dictionary<VirtualServiceKey, string>();
        foreach (var refusal in refusals)
        {
            seen.Add(refusal.Message);
            if (refusal.Destination is null) services.TryAdd(refusal.Service, refusal.Message);
            if (_reportedRefusals.Contains(refusal.Message)) continue;
            if (refusal.Destination is null) Log.ForeignServiceRefused(_logger, refusal.Message);
            else Log.ForeignDestinationLeftAlone(_logger, refusal.Message);
        }
        foreach (var key in _refusedServices.Keys)
        {
            if (!services.ContainsKey(key)) Log.RefusalResolved(_logger, key.ToString());
        }
        _reportedRefusals = seen;
        _refusedServices = services;
    }

    private static ReconcileRefusal ForeignService(DesiredService service, DesiredState desired)
    {
        var key = service.Key;
        var who = desired.ServiceInfo.TryGetValue(key, out var info)
            ? $" (service \"{info.Name}\" of container {info.HolderName})"
            : "";
        return new ReconcileRefusal(key, null,
            $"refusing service {key}{who}: a service with this address, port and protocol already exists in the kernel and " +
            "GorbLink did not create it (ipvsadm, keepalived or kube-proxy?); it and its destinations are left untouched. " +
            $"Use another VIP or port, or remove that service (ipvsadm -D {IpvsadmServiceArgument(key)}) if it is a leftover.");
    }

    private static string IpvsadmServiceArgument(VirtualServiceKey key) => key.IsFirewallMark
        ? $"-f {key.FirewallMark.ToString(CultureInfo.InvariantCulture)}{(key.Family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? " -6" : "")}"
        : $"{key.Protocol switch { IpvsProtocol.Udp => "-u", IpvsProtocol.Sctp => "--sctp-service", _ => "-t" }} {IpvsNames.Endpoint(key.Address!, key.Port)}";

    private static IpvsPlanStep Step(IpvsOperation operation) => new(operation, $"- {operation.Target}");

    private static string Describe(IpvsPlanStep step, Dictionary<DestinationRef, string>? reasons, DesiredState? desired = null)
    {
        var reference = step.Operation switch
        {
            IpvsOperation.CreateDestination o => new DestinationRef(o.Service, o.Destination.Key),
            IpvsOperation.UpdateDestination o => new DestinationRef(o.Service, o.Destination.Key),
            IpvsOperation.DeleteDestination o => new DestinationRef(o.Service, o.Destination),
            _ => (DestinationRef?)null,
        };
        if (reference is not { } r) return step.Description;
        if (reasons is not null && reasons.TryGetValue(r, out var reason)) return $"{step.Description}: {reason}";
        if (desired?.OwnerOf(r.Service, r.Destination) is { } owner) return $"{step.Description} for {owner}";
        return step.Description;
    }

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

    /// <summary>The agent's part of the kernel after the pass: the dump with the accepted operations applied.</summary>
    private AgentStatus BuildStatus(
        Dictionary<VirtualServiceKey, VirtualServiceTable> kernel,
        OwnedTable.Builder owned,
        DesiredState desired,
        IpvsPlan plan,
        Dictionary<int, IpvsException>? failed,
        IReadOnlyList<ReconcileRefusal> refusals,
        IReadOnlyList<IpvsException> failures,
        ReconcileResult result)
    {
        var after = new Dictionary<VirtualServiceKey, (VirtualServiceStatus Service, Dictionary<DestinationKey, DestinationStatus> Destinations)>();
        foreach (var (key, table) in kernel)
        {
            if (!owned.Owns(key)) continue;
            var destinations = new Dictionary<DestinationKey, DestinationStatus>(table.Destinations.Count);
            foreach (var d in table.Destinations) destinations.TryAdd(d.Key, d);
            after[key] = (table.Service, destinations);
        }
        if (!result.DryRun)
        {
            for (var i = 0; i < plan.Operations.Count; i++)
            {
                if (failed is not null && failed.ContainsKey(i)) continue;
                switch (plan.Operations[i])
                {
                    case IpvsOperation.CreateService o:
                        after[o.Service.Key] = (new VirtualServiceStatus(o.Service, IpvsStats.Empty), []);
                        break;
                    case IpvsOperation.UpdateService o when after.TryGetValue(o.Service.Key, out var s):
                        after[o.Service.Key] = (s.Service with { Service = o.Service }, s.Destinations);
                        break;
                    case IpvsOperation.DeleteService o:
                        after.Remove(o.Service);
                        break;
                    case IpvsOperation.CreateDestination o when after.TryGetValue(o.Service, out var s):
                        s.Destinations[o.Destination.Key] = new DestinationStatus(o.Destination, 0, 0, 0, IpvsStats.Empty);
                        break;
                    case IpvsOperation.UpdateDestination o when after.TryGetValue(o.Service, out var s) && s.Destinations.TryGetValue(o.Destination.Key, out var d):
                        s.Destinations[o.Destination.Key] = d with { Destination = o.Destination };
                        break;
                    case IpvsOperation.DeleteDestination o when after.TryGetValue(o.Service, out var s):
                        s.Destinations.Remove(o.Destination);
                        break;
                }
            }
        }

        var services = new List<ServiceStatusEntry>(after.Count);
        foreach (var key in after.Keys.Order(KeyOrder.Instance))
        {
            var (service, destinations) = after[key];
            var spec = service.Service.Spec;
            var info = desired.ServiceInfo.GetValueOrDefault(key);
            var entries = new List<DestinationStatusEntry>(destinations.Count);
            foreach (var dkey in destinations.Keys.Order(KeyOrder.Instance))
            {
                var d = destinations[dkey];
                var reference = new DestinationRef(key, dkey);
                var foreign = !owned.Owns(key, dkey);
                _drains.TryGet(reference, out var drain);
                var owner = desired.OwnerOf(key, dkey) ?? drain?.Owner;
                entries.Add(new DestinationStatusEntry
                {
                    Address = dkey.Address.ToString(),
                    Port = dkey.Port,
                    Forward = IpvsNames.Forward(KernelReadback.RequestedForward(d.Destination.Spec.Forward)),
                    Weight = d.Destination.Spec.Weight,
                    ActiveConnections = d.ActiveConnections,
                    InactiveConnections = d.InactiveConnections,
                    State = foreign ? "foreign" : drain is not null ? "draining" : "active",
                    Container = foreign || owner is null ? null : new ContainerStatusEntry
                    {
                        Id = owner.ContainerId,
                        Name = owner.ContainerName,
                        Health = owner.Health.ToString().ToLowerInvariant(),
                        Lifecycle = owner.Lifecycle.ToString().ToLowerInvariant(),
                    },
                    DrainingSince = drain?.Since,
                    DrainDeadline = drain?.Deadline,
                });
            }
            var stats = service.Stats;
            services.Add(new ServiceStatusEntry
            {
                Service = key.ToString(),
                Name = info?.Name,
                Protocol = key.IsFirewallMark ? null : IpvsNames.Protocol(key.Protocol),
                Address = key.Address?.ToString(),
                Port = key.IsFirewallMark ? null : key.Port,
                Fwmark = key.IsFirewallMark ? key.FirewallMark : null,
                Family = IpvsNames.Family(key.Family),
                Scheduler = spec.Scheduler,
                State = info is null ? "removing" : "active",
                Connections = stats.Connections,
                InPackets = stats.InPackets,
                OutPackets = stats.OutPackets,
                InBytes = stats.InBytes,
                OutBytes = stats.OutBytes,
                Destinations = entries,
            });
        }

        return new AgentStatus
        {
            Written = _time.GetUtcNow(),
            AgentVersion = _ownership.Options.AgentVersion,
            LabelPrefix = _ownership.Options.LabelPrefix,
            DryRun = result.DryRun,
            Passes = _passes,
            LastPassMilliseconds = result.Duration.TotalMilliseconds,
            LastPassWrites = result.Applied,
            Services = services,
            Refused = [.. refusals.Select(r => r.Message)],
            Failures = [.. failures.Select(f => f.Message)],
            ContainerErrors = [.. desired.Errors.Select(e => e.Message), .. desired.Conflicts.Select(c => c.Message)],
        };
    }

    /// <summary>The effective desired and actual tables of one pass: GorbLink's part of the kernel only, with drains decided.</summary>
    private sealed class PassPlan(
        DesiredState desired,
        OwnedTable.Builder owned,
        DrainTracker drains,
        IReadOnlyDictionary<DestinationRef, DestinationOwner> lastOwners,
        DateTimeOffset now)
    {
        public List<DesiredService> Desired { get; } = [];
        public List<VirtualServiceTable> Actual { get; } = [];
        public List<ReconcileRefusal> Refusals { get; } = [];
        /// <summary>Why a destination changes, appended to its log line.</summary>
        public Dictionary<DestinationRef, string> Reasons { get; } = [];

        /// <summary>
        /// Adds one service to the pass: <paramref name="destinations"/> are those containers ask for (draining ones at
        /// weight 0), <paramref name="current"/> is the service in the kernel (owned) or null, <paramref name="wanted"/>
        /// says whether any container still asks for the service. Returns the foreign destinations when an unwanted
        /// service is kept only because of them.
        /// </summary>
        public List<DestinationKey>? PlanService(VirtualService service, IReadOnlyList<Destination> destinations, VirtualServiceTable? current, bool wanted, bool keepWhenEmpty = false)
        {
            var key = service.Key;
            var inKernel = new Dictionary<DestinationKey, DestinationStatus>(current?.Destinations.Count ?? 0);
            var ownedActual = new List<DestinationStatus>(current?.Destinations.Count ?? 0);
            List<DestinationKey>? foreign = null;
            if (current is not null)
            {
                foreach (var d in current.Destinations)
                {
                    if (!inKernel.TryAdd(d.Key, d)) continue;
                    if (owned.Owns(key, d.Key)) ownedActual.Add(d);
                    else (foreign ??= []).Add(d.Key);
                }
            }

            var keep = new List<Destination>(destinations.Count + ownedActual.Count);
            var wantedKeys = new HashSet<DestinationKey>(destinations.Count);
            foreach (var destination in destinations)
            {
                wantedKeys.Add(destination.Key);
                var reference = new DestinationRef(key, destination.Key);
                var owner = desired.OwnerOf(key, destination.Key);
                inKernel.TryGetValue(destination.Key, out var status);
                if (status is not null && !owned.Owns(key, destination.Key))
                {
                    Refusals.Add(new ReconcileRefusal(key, destination.Key,
                        $"destination {destination.Key} of service {key} already exists and GorbLink did not add it; leaving it as it is" +
                        (owner is null ? "" : $" ({owner} asks for it)")));
                    continue;
                }
                if (owner is not { Draining: true })
                {
                    if (drains.Restore(reference) is not null) Reasons[reference] = $"restored, {owner?.ToString() ?? "its container"} is back";
                    keep.Add(destination);
                    continue;
                }
                // A draining destination is never added: at weight 0 it would serve nothing.
                if (status is null) continue;
                Drain(reference, status, DrainReason.ContainerDraining, owner, destination, keep);
            }

            foreach (var status in ownedActual)
            {
                if (wantedKeys.Contains(status.Key)) continue;
                var reference = new DestinationRef(key, status.Key);
                var owner = lastOwners.GetValueOrDefault(reference) ?? (drains.TryGet(reference, out var entry) ? entry.Owner : null);
                Drain(reference, status, DrainReason.NoLongerWanted, owner,
                    status.Destination with { Spec = status.Destination.Spec with { Weight = 0 } }, keep);
            }

            if (current is not null) Actual.Add(current with { Destinations = ownedActual });
            // With nothing left to serve or drain the service goes (the planner prunes it), or is not created;
            // unless destinations someone else added keep it alive.
            if (keep.Count == 0 && foreign is null && !keepWhenEmpty) return null;
            if (!wanted) service = current!.Service.Service; // no longer wanted: leave its spec as it is
            Desired.Add(new DesiredService(service, keep));
            return keep.Count == 0 && !wanted ? foreign : null;
        }

        private void Drain(DestinationRef reference, DestinationStatus status, DrainReason reason, DestinationOwner? owner, Destination atZero, List<Destination> keep)
        {
            var decision = drains.Evaluate(reference, status.ActiveConnections, status.InactiveConnections, reason, owner);
            var who = owner is null ? "its container" : owner.ToString();
            var why = reason == DrainReason.ContainerDraining ? $"{who} is {State(owner!)}" : $"{who} is gone";
            switch (decision)
            {
                case DrainDecision.Keep:
                    keep.Add(atZero);
                    if (status.Destination.Spec.Weight != 0 && drains.TryGet(reference, out var entry))
                    {
                        Reasons[reference] = $"draining, {why}; deleted when its {status.ActiveConnections} active and " +
                            $"{status.InactiveConnections} inactive connections end, or at {entry.Deadline:u}";
                    }
                    break;
                case DrainDecision.DeleteDrained:
                    Reasons[reference] = $"{why}, no connections left";
                    break;
                case DrainDecision.DeleteTimedOut:
                    var since = drains.TryGet(reference, out var timedOut) ? now - timedOut.Since : drains.Timeout;
                    Reasons[reference] = $"{why}, drain timeout after {since.TotalSeconds:0}s with {status.ActiveConnections} active and {status.InactiveConnections} inactive connections";
                    break;
                case DrainDecision.DeleteUdp:
                    Reasons[reference] = $"{why}, UDP is not drained";
                    break;
            }
        }

        private static string State(DestinationOwner owner) => owner.Lifecycle switch
        {
            Containers.ContainerLifecycle.Running when owner.Health == Containers.ContainerHealth.Unhealthy => "unhealthy",
            var lifecycle => lifecycle.ToString().ToLowerInvariant(),
        };
    }
}
