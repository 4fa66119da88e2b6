using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Desired;
using GorbLink.Core.Ownership;
using GorbLink.Core.Reconcile;
using GorbLink.Netlink;
using GorbLink.Netlink.Route;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GorbLink.Core.Vips;

public sealed record VipManagerOptions
{
    /// <summary>--vip-interface: where VIPs that no interface has yet are added, as /32 or /128.</summary>
    public required string Interface { get; init; }

    /// <summary>vips.json: the addresses GorbLink added (see <see cref="VipStateFile"/>).</summary>
    public required string StatePath { get; init; }

    /// <summary>Log what would be added and removed; change nothing, write nothing.</summary>
    public bool DryRun { get; init; }
}

/// <summary>What one <see cref="VipManager.SyncAsync"/> did (or, in a dry run, would do).</summary>
public sealed record VipSyncResult
{
    public IReadOnlyList<AddedVip> Added { get; init; } = [];
    public IReadOnlyList<AddedVip> Removed { get; init; } = [];
    public IReadOnlyList<string> Failures { get; init; } = [];
}

/// <summary>
/// --vip-interface: keeps every VIP that a service GorbLink manages uses present on the host, adding the missing ones to
/// the interface as host addresses (/32, /128) over rtnetlink, and removes each address it added once no service uses it.
/// </summary>
/// <remarks>
/// <para>Only what it added is ever removed. An address already on any interface of the host (the --interface address
/// that is the default VIP, an address the operator configured) is left alone, now and later. What GorbLink added is
/// listed in vips.json next to the ownership file, written before each add, so that a restart (or a crash) still knows;
/// a listed address that has disappeared is forgotten.</para>
/// <para>In use means: a desired service that is not refused, or a service GorbLink owns in the kernel (one that drains
/// keeps its VIP until it is deleted). Fwmark services have no address.</para>
/// <para>Failures (no such interface, no permission) are logged once and retried after the next pass; they never fail
/// the pass. Not thread-safe: the reconcile loop calls it after each pass.</para>
/// </remarks>
public sealed class VipManager : IReconcilePassObserver
{
    private readonly IInterfaceAddressClient _addresses;
    private readonly OwnershipStore? _ownership;
    private readonly VipManagerOptions _options;
    private readonly ILogger _logger;
    private List<AddedVip>? _added;
    private HashSet<string> _reportedFailures = new(StringComparer.Ordinal);
    private HashSet<IPAddress> _reportedPresent = [];
    private HashSet<IPAddress> _reportedWouldAdd = [];
    private HashSet<IPAddress> _reportedWouldRemove = [];
    private long _failures;
    private long _changes;

    public VipManager(IInterfaceAddressClient addresses, VipManagerOptions options, OwnershipStore? ownership = null, ILogger<VipManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Interface);
        _addresses = addresses;
        _options = options;
        _ownership = ownership;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public VipManagerOptions Options => _options;

    /// <summary>The addresses GorbLink added and keeps (as of the last sync).</summary>
    public IReadOnlyList<AddedVip> Managed => Volatile.Read(ref _managed);
    private IReadOnlyList<AddedVip> _managed = [];

    /// <summary>Adds and removes that failed, since start.</summary>
    public long FailureCount => Interlocked.Read(ref _failures);

    /// <summary>Addresses added or removed, since start.</summary>
    public long ChangeCount => Interlocked.Read(ref _changes);

    /// <summary>Reads vips.json; done by the first sync otherwise. Call at startup to fail early on a damaged file.</summary>
    /// <exception cref="VipStateFileException">The file cannot be read or is damaged.</exception>
    public IReadOnlyList<AddedVip> Load()
    {
        if (_added is not null) return _added;
        _added = [.. VipStateFile.Read(_options.StatePath)];
        if (_added.Count > 0) VipLog.Loaded(_logger, _options.StatePath, _added.Count, string.Join(", ", _added));
        Volatile.Write(ref _managed, [.. _added]);
        return _added;
    }

    public Task OnPassAsync(DesiredState desired, ReconcileResult result, CancellationToken cancellationToken) =>
        SyncAsync(AddressesInUse(desired, result, _ownership?.IsLoaded == true ? _ownership.Current : null), cancellationToken);

    /// <summary>
    /// After --cleanup-on-exit: keeps only the VIPs of services GorbLink still owns (normally none), removing the rest
    /// of those it added.
    /// </summary>
    public Task<VipSyncResult> ReleaseAsync(CancellationToken cancellationToken = default) =>
        SyncAsync(AddressesInUse(DesiredState.Empty, null, _ownership?.IsLoaded == true ? _ownership.Current : null), cancellationToken);

    /// <summary>The VIPs of desired services that were not refused, and of services GorbLink owns in the kernel.</summary>
    public static IReadOnlySet<IPAddress> AddressesInUse(DesiredState desired, ReconcileResult? result, OwnedTable? owned)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var refused = new HashSet<Ipvs.VirtualServiceKey>();
        if (result is not null)
        {
            foreach (var refusal in result.Refusals)
                if (refusal.Destination is null) refused.Add(refusal.Service);
        }
        var inUse = new HashSet<IPAddress>();
        foreach (var service in desired.Services)
        {
            if (service.Key.Address is { } address && !refused.Contains(service.Key)) inUse.Add(address);
        }
        if (owned is not null)
        {
            foreach (var key in owned.Services)
                if (key.Address is { } address) inUse.Add(address);
        }
        return inUse;
    }

    /// <summary>Makes the host have every address of <paramref name="inUse"/>, and removes the added ones not in it.</summary>
    /// <exception cref="VipStateFileException">vips.json cannot be read (at the first call).</exception>
    public async Task<VipSyncResult> SyncAsync(IReadOnlySet<IPAddress> inUse, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        Load();
        var added = _added!;
        var failures = new List<string>();
        var addedNow = new List<AddedVip>();
        var removedNow = new List<AddedVip>();

        IReadOnlyList<InterfaceAddress> present;
        try
        {
            present = await _addresses.GetAddressesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException e)
        {
            Fail(failures, $"cannot list the host's addresses: {e.Message}");
            return Finish(addedNow, removedNow, failures);
        }

        var indexes = new Dictionary<string, int?>(StringComparer.Ordinal);
        int? IndexOf(string name)
        {
            if (indexes.TryGetValue(name, out var known)) return known;
            int? index;
            try
            {
                index = _addresses.GetInterfaceIndex(name);
            }
            catch (InterfaceNotFoundException)
            {
                index = null;
            }
            return indexes[name] = index;
        }

        // Forget listed addresses that are gone (removed by someone else, their interface deleted, or a crash between
        // listing and adding).
        var changed = false;
        foreach (var vip in added.ToList())
        {
            var index = IndexOf(vip.Interface);
            if (index is { } i && present.Any(p => p.InterfaceIndex == i && p.Address.Equals(vip.Address) && p.PrefixLength == vip.PrefixLength)) continue;
            added.Remove(vip);
            changed = true;
            if (!_options.DryRun) VipLog.Forgotten(_logger, vip.Address.ToString(), vip.Interface);
        }

        // Remove what GorbLink added and no service uses.
        foreach (var vip in added.Where(v => !inUse.Contains(v.Address)).ToList())
        {
            if (_options.DryRun)
            {
                if (_reportedWouldRemove.Add(vip.Address)) VipLog.WouldRemove(_logger, vip.ToString());
                continue;
            }
            try
            {
                var index = IndexOf(vip.Interface) ?? throw new InterfaceNotFoundException(vip.Interface, Errno.ENODEV);
                await _addresses.DeleteAsync(new InterfaceAddress(index, vip.Address, vip.PrefixLength), cancellationToken).ConfigureAwait(false);
                added.Remove(vip);
                removedNow.Add(vip);
                changed = true;
                VipLog.Removed(_logger, vip.ToString());
            }
            catch (NetlinkException e)
            {
                Fail(failures, $"cannot remove VIP {vip}: {e.Message}");
            }
        }

        _reportedWouldRemove.RemoveWhere(a => !added.Any(v => v.Address.Equals(a)) || inUse.Contains(a));

        // Add the VIPs in use that no interface has.
        var onHost = present.Select(p => p.Address).ToHashSet();
        var ours = added.Select(v => v.Address).ToHashSet();
        var missing = inUse.Where(a => !onHost.Contains(a) && !ours.Contains(a)).Order(AddressOrder.Instance).ToList();
        foreach (var address in inUse.Where(a => onHost.Contains(a) && !ours.Contains(a)))
        {
            if (_reportedPresent.Add(address)) VipLog.AlreadyPresent(_logger, address.ToString());
        }
        _reportedPresent.IntersectWith(inUse);

        if (missing.Count > 0)
        {
            var interfaceIndex = IndexOf(_options.Interface);
            if (interfaceIndex is not { } index)
            {
                Fail(failures, $"cannot add VIPs {string.Join(", ", missing)}: no network interface named \"{_options.Interface}\" (--vip-interface)");
            }
            else
            {
                foreach (var address in missing)
                {
                    var vip = new AddedVip(_options.Interface, address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
                    if (_options.DryRun)
                    {
                        if (_reportedWouldAdd.Add(address)) VipLog.WouldAdd(_logger, vip.ToString());
                        continue;
                    }
                    if (!TrySave([.. added, vip], failures, $"cannot add VIP {vip}")) break;
                    try
                    {
                        if (await _addresses.AddAsync(new InterfaceAddress(index, address, vip.PrefixLength), cancellationToken).ConfigureAwait(false))
                        {
                            added.Add(vip);
                            addedNow.Add(vip);
                            VipLog.Added(_logger, vip.ToString());
                        }
                        else if (_reportedPresent.Add(address))
                        {
                            // Someone added it between our listing and our add: theirs, not ours.
                            VipLog.AlreadyPresent(_logger, address.ToString());
                        }
                    }
                    catch (NetlinkException e)
                    {
                        Fail(failures, $"cannot add VIP {vip}: {e.Message}");
                    }
                    changed = true;
                }
            }
        }
        _reportedWouldAdd.IntersectWith(inUse);

        if (changed && !_options.DryRun) TrySave(added, failures, "cannot record the VIPs");
        return Finish(addedNow, removedNow, failures);
    }

    private VipSyncResult Finish(List<AddedVip> addedNow, List<AddedVip> removedNow, List<string> failures)
    {
        Volatile.Write(ref _managed, [.. _added ?? []]);
        Interlocked.Add(ref _changes, addedNow.Count + removedNow.Count);
        _reportedFailures = [.. failures];
        return new VipSyncResult { Added = addedNow, Removed = removedNow, Failures = failures };
    }

    private bool TrySave(IReadOnlyCollection<AddedVip> addresses, List<string> failures, string what)
    {
        try
        {
            VipStateFile.Write(_options.StatePath, addresses);
            return true;
        }
        catch (VipStateFileException e)
        {
            Fail(failures, $"{what}: {e.Message}");
            return false;
        }
    }

    private void Fail(List<string> failures, string message)
    {
        failures.Add(message);
        Interlocked.Increment(ref _failures);
        if (_reportedFailures.Contains(message)) VipLog.FailedAgain(_logger, message);
        else VipLog.Failed(_logger, message);
    }

    private sealed class AddressOrder : IComparer<IPAddress>
    {
        public static AddressOrder Instance { get; } = new();

        public int Compare(IPAddress? x, IPAddress? y)
        {
            if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
            var family = x.AddressFamily.CompareTo(y.AddressFamily);
            return family != 0 ? family : x.GetAddressBytes().AsSpan().SequenceCompareTo(y.GetAddressBytes());
        }
    }
}

// Event ids 3201-3299: VIP management.
internal static partial class VipLog
{
    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "added VIP {Vip}; it is removed again when no service uses it")]
    public static partial void Added(ILogger logger, string vip);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "removed VIP {Vip}: no service uses it anymore")]
    public static partial void Removed(ILogger logger, string vip);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Information, Message = "VIP {Vip} is already on this host, put there by someone else: left alone, never removed")]
    public static partial void AlreadyPresent(ILogger logger, string vip);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Information, Message = "dry run, would add VIP {Vip}")]
    public static partial void WouldAdd(ILogger logger, string vip);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Information, Message = "dry run, would remove VIP {Vip}")]
    public static partial void WouldRemove(ILogger logger, string vip);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Error, Message = "{Reason}; retried after the next reconcile pass")]
    public static partial void Failed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Debug, Message = "{Reason} (again)")]
    public static partial void FailedAgain(ILogger logger, string reason);

    [LoggerMessage(EventId = 3208, Level = LogLevel.Information, Message = "VIP {Vip} that GorbLink added to {Interface} is gone (removed by someone else?); forgetting it")]
    public static partial void Forgotten(ILogger logger, string vip, string @interface);

    [LoggerMessage(EventId = 3209, Level = LogLevel.Information, Message = "VIP file {Path}: GorbLink added {Count} addresses before: {Addresses}")]
    public static partial void Loaded(ILogger logger, string path, int count, string addresses);
}
