using System.Net.Sockets;
using GorbLink.Netlink;
using GorbLink.Netlink.Generic;

namespace GorbLink.Ipvs.Netlink;

/// <summary>
/// <see cref="IIpvsClient"/> over generic netlink, in-process. IPVS state belongs to the network namespace the
/// socket was created in. Every command needs CAP_NET_ADMIN in the initial user namespace, reads included.
/// </summary>
public sealed class IpvsNetlinkClient : IIpvsClient
{
    private readonly NetlinkConnection _connection;
    private GenericNetlinkFamily _family;

    private IpvsNetlinkClient(NetlinkConnection connection, GenericNetlinkFamily family)
    {
        _connection = connection;
        _family = family;
    }

    /// <summary>The IPVS family as last resolved; re-resolved when the ip_vs module was reloaded (<see cref="GetServicesAsync"/>).</summary>
    public GenericNetlinkFamily Family => Volatile.Read(ref _family);

    private ushort FamilyId => Family.Id;

    /// <summary>Opens a generic-netlink socket and resolves the IPVS family.</summary>
    /// <exception cref="IpvsUnavailableException">The kernel has no IPVS.</exception>
    /// <exception cref="IpvsPermissionException">No CAP_NET_ADMIN.</exception>
    public static Task<IpvsNetlinkClient> OpenAsync(CancellationToken cancellationToken = default) =>
        OpenAsync(NetlinkConnection.ForProtocol(NetlinkConstants.NETLINK_GENERIC), cancellationToken);

    /// <summary>Resolves the IPVS family over <paramref name="connection"/>, which the client then owns.</summary>
    public static async Task<IpvsNetlinkClient> OpenAsync(NetlinkConnection connection, CancellationToken cancellationToken = default)
    {
        try
        {
            var family = await GenericNetlink.ResolveFamilyAsync(connection, IpvsWire.FamilyName, cancellationToken).ConfigureAwait(false);
            return new IpvsNetlinkClient(connection, family);
        }
        catch (GenericNetlinkFamilyNotFoundException e)
        {
            connection.Dispose();
            throw new IpvsUnavailableException(
                "the kernel has no IPVS: generic netlink family \"IPVS\" is missing. Load the module with `modprobe ip_vs` " +
                "(in a container, load it on the host: modules cannot be loaded from inside)", e);
        }
        catch (NetlinkException e) when (e.Errno.IsPermissionDenied)
        {
            connection.Dispose();
            throw new IpvsPermissionException(IpvsOperationKind.GetInfo, "IPVS", PermissionMessage("open"));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public async Task<IReadOnlyList<VirtualServiceStatus>> GetServicesAsync(CancellationToken cancellationToken = default)
    {
        var services = new List<VirtualServiceStatus>();
        await WithCurrentFamily(() =>
        {
            services.Clear();
            return Exchange(IpvsCodec.DumpServices(FamilyId), IpvsOperationKind.GetService, "all services",
                (in NetlinkMessageHeader _, ReadOnlySpan<byte> payload) => services.Add(IpvsCodec.ParseServiceMessage(payload)),
                cancellationToken);
        }, cancellationToken).ConfigureAwait(false);
        return services;
    }

    /// <summary>
    /// Runs a read that cannot fail with ENOENT on its own (a dump, GET_INFO). ENOENT then means generic netlink knows no
    /// family by this id: ip_vs was unloaded, and maybe loaded again under a new id (ids are handed out cyclically).
    /// Every reconcile pass starts with such a read, so one re-resolution here brings the whole client back.
    /// </summary>
    private async Task WithCurrentFamily(Func<Task> read, CancellationToken cancellationToken)
    {
        try
        {
            await read().ConfigureAwait(false);
            return;
        }
        catch (IpvsException e) when (e.Errno == Errno.ENOENT)
        {
            GenericNetlinkFamily family;
            try
            {
                family = await GenericNetlink.ResolveFamilyAsync(_connection, IpvsWire.FamilyName, cancellationToken).ConfigureAwait(false);
            }
            catch (GenericNetlinkFamilyNotFoundException missing)
            {
                throw new IpvsUnavailableException(
                    "the kernel's IPVS went away: generic netlink family \"IPVS\" is missing (was ip_vs unloaded?). " +
                    "Load the module with `modprobe ip_vs`", missing);
            }
            if (family.Id == Family.Id) throw;
            Volatile.Write(ref _family, family);
        }
        await read().ConfigureAwait(false);
    }

    public async Task<VirtualServiceStatus?> GetServiceAsync(VirtualServiceKey key, CancellationToken cancellationToken = default)
    {
        VirtualServiceStatus? found = null;
        try
        {
            await Exchange(IpvsCodec.GetService(FamilyId, key), IpvsOperationKind.GetService, $"service {key}",
                (in NetlinkMessageHeader _, ReadOnlySpan<byte> payload) => found = IpvsCodec.ParseServiceMessage(payload),
                cancellationToken).ConfigureAwait(false);
        }
        catch (IpvsException e) when (e.Errno == Errno.ESRCH)
        {
            return null;
        }
        return found;
    }

    public async Task<IReadOnlyList<DestinationStatus>> GetDestinationsAsync(VirtualServiceKey service, CancellationToken cancellationToken = default)
    {
        var destinations = new List<DestinationStatus>();
        var family = service.Family;
        // A table of 1,000 services is 1,000 of these dumps: the target's words are made only if one fails.
        await Exchange(IpvsCodec.DumpDests(FamilyId, service), IpvsOperationKind.GetDestinations, DestinationsTarget,
            (in NetlinkMessageHeader _, ReadOnlySpan<byte> payload) => destinations.Add(IpvsCodec.ParseDestinationMessage(payload, family)),
            cancellationToken, () => $"destinations of service {service}").ConfigureAwait(false);
        return destinations;
    }

    public async Task<IReadOnlyList<VirtualServiceTable>> GetTableAsync(CancellationToken cancellationToken = default)
    {
        var services = await GetServicesAsync(cancellationToken).ConfigureAwait(false);
        var table = new List<VirtualServiceTable>(services.Count);
        foreach (var service in services)
        {
            var destinations = await GetDestinationsAsync(service.Key, cancellationToken).ConfigureAwait(false);
            table.Add(new VirtualServiceTable(service, destinations));
        }
        return table;
    }

    public Task CreateServiceAsync(VirtualService service, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.CreateService(service), cancellationToken);

    public Task UpdateServiceAsync(VirtualService service, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.UpdateService(service), cancellationToken);

    public Task DeleteServiceAsync(VirtualServiceKey service, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.DeleteService(service), cancellationToken);

    public Task CreateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.CreateDestination(service, destination), cancellationToken);

    public Task UpdateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.UpdateDestination(service, destination), cancellationToken);

    public Task DeleteDestinationAsync(VirtualServiceKey service, DestinationKey destination, CancellationToken cancellationToken = default) =>
        Single(new IpvsOperation.DeleteDestination(service, destination), cancellationToken);

    public async Task<IpvsBatchResult> ExecuteAsync(IReadOnlyList<IpvsOperation> operations, CancellationToken cancellationToken = default)
    {
        // About 130 bytes per write (a NEW_DEST with its service's identity).
        var requests = new NetlinkBuffer(operations.Count * 136);
        foreach (var operation in operations) IpvsCodec.AppendOperation(requests, FamilyId, operation);
        NetlinkAck[] acks;
        try
        {
            acks = await _connection.ExecuteBatchAsync(requests, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException e)
        {
            // The socket failed (send, receive, timeout, unparsable reply): no one operation was refused, and which
            // of them the kernel did is unknown; the caller reads the table again.
            throw new IpvsException(IpvsOperationKind.Batch, $"a batch of {operations.Count} operations", e.Errno,
                $"IPVS batch of {operations.Count} operations failed: {e.Message}", e.KernelMessage, e);
        }
        var failures = new List<IpvsOperationFailure>();
        for (var i = 0; i < acks.Length; i++)
        {
            if (!acks[i].Succeeded)
                failures.Add(new IpvsOperationFailure(i, operations[i], IpvsErrors.Describe(operations[i], acks[i].Errno, acks[i].KernelMessage)));
        }
        return new IpvsBatchResult(operations.Count, failures);
    }

    public async Task<IpvsInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        IpvsInfo? info = null;
        await WithCurrentFamily(() => Exchange(IpvsCodec.GetInfo(FamilyId), IpvsOperationKind.GetInfo, "IPVS info",
            (in NetlinkMessageHeader _, ReadOnlySpan<byte> payload) => info = IpvsCodec.ParseInfo(payload),
            cancellationToken), cancellationToken).ConfigureAwait(false);
        return info ?? throw new NetlinkProtocolException("GET_INFO answered without a reply message");
    }

    public async Task<IpvsTimeouts> GetTimeoutsAsync(CancellationToken cancellationToken = default)
    {
        IpvsTimeouts? timeouts = null;
        await Exchange(IpvsCodec.GetConfig(FamilyId), IpvsOperationKind.GetConfig, "IPVS timeouts",
            (in NetlinkMessageHeader _, ReadOnlySpan<byte> payload) => timeouts = IpvsCodec.ParseConfig(payload),
            cancellationToken).ConfigureAwait(false);
        return timeouts ?? throw new NetlinkProtocolException("GET_CONFIG answered without a reply message");
    }

    public Task SetTimeoutsAsync(IpvsTimeouts timeouts, CancellationToken cancellationToken = default) =>
        Exchange(IpvsCodec.SetConfig(FamilyId, timeouts), IpvsOperationKind.SetConfig, "IPVS timeouts", null, cancellationToken);

    public Task ZeroAsync(VirtualServiceKey? service = null, CancellationToken cancellationToken = default) =>
        Exchange(IpvsCodec.Zero(FamilyId, service), IpvsOperationKind.Zero,
            service is { } key ? $"service {key}" : "all counters", null, cancellationToken);

    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        Exchange(IpvsCodec.Flush(FamilyId), IpvsOperationKind.Flush, "the IPVS table", null, cancellationToken);

    public async Task<IReadOnlyList<SyncDaemon>> GetSyncDaemonsAsync(CancellationToken cancellationToken = default)
    {
        var daemons = new List<SyncDaemon>();
        await Exchange(IpvsCodec.DumpDaemons(FamilyId), IpvsOperationKind.GetDaemons, "sync daemons",
            (in NetlinkMessageHeader _, ReadOnlySpan<byte> payload) =>
            {
                if (IpvsCodec.ParseDaemonMessage(payload) is { } daemon) daemons.Add(daemon);
            }, cancellationToken).ConfigureAwait(false);
        return daemons;
    }

    public Task StartSyncDaemonAsync(SyncDaemon daemon, CancellationToken cancellationToken = default) =>
        Exchange(IpvsCodec.NewDaemon(FamilyId, daemon), IpvsOperationKind.StartDaemon,
            $"{daemon.State.ToString().ToLowerInvariant()} sync daemon on {daemon.Interface}", null, cancellationToken);

    public Task StopSyncDaemonAsync(SyncDaemonState state, CancellationToken cancellationToken = default) =>
        Exchange(IpvsCodec.DelDaemon(FamilyId, state), IpvsOperationKind.StopDaemon,
            $"{state.ToString().ToLowerInvariant()} sync daemon", null, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task Single(IpvsOperation operation, CancellationToken cancellationToken)
    {
        try
        {
            await _connection.ExchangeAsync(IpvsCodec.Operation(FamilyId, operation), operation.Target, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException e) when (e is not NetlinkProtocolException && e.Operation == operation.Target)
        {
            throw IpvsErrors.Describe(operation, e.Errno, e.KernelMessage, e);
        }
        catch (NetlinkException e)
        {
            throw IpvsErrors.Transport(operation.Kind, operation.Target, e);
        }
    }

    private const string DestinationsTarget = "destinations";

    /// <param name="describeTarget">The target in words, when <paramref name="target"/> is only a short name for it.</param>
    private async Task Exchange(byte[] request, IpvsOperationKind kind, string target, NetlinkReplyHandler? onReply,
        CancellationToken cancellationToken, Func<string>? describeTarget = null)
    {
        try
        {
            await _connection.ExchangeAsync(request, target, onReply, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException e) when (e is not NetlinkProtocolException && e.Operation == target)
        {
            throw IpvsErrors.Describe(kind, describeTarget?.Invoke() ?? target, e.Errno, e.KernelMessage, e);
        }
        catch (NetlinkException e)
        {
            throw IpvsErrors.Transport(kind, describeTarget?.Invoke() ?? target, e);
        }
    }

    internal static string PermissionMessage(string verb) =>
        $"{verb}: permission denied: IPVS needs CAP_NET_ADMIN (run as root, or the container with --cap-add=NET_ADMIN " +
        "in the host's user namespace)";
}
