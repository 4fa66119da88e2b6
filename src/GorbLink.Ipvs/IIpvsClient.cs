namespace GorbLink.Ipvs;

/// <summary>
/// The kernel's IPVS table of one network namespace. Implementations are safe for concurrent use:
/// calls are serialised on one netlink socket.
/// </summary>
public interface IIpvsClient : IAsyncDisposable
{
    Task<IReadOnlyList<VirtualServiceStatus>> GetServicesAsync(CancellationToken cancellationToken = default);
    /// <summary>One service, or null when the kernel has none with that key.</summary>
    Task<VirtualServiceStatus?> GetServiceAsync(VirtualServiceKey key, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<DestinationStatus>> GetDestinationsAsync(VirtualServiceKey service, CancellationToken cancellationToken = default);
    /// <summary>Every service with its destinations.</summary>
    Task<IReadOnlyList<VirtualServiceTable>> GetTableAsync(CancellationToken cancellationToken = default);

    Task CreateServiceAsync(VirtualService service, CancellationToken cancellationToken = default);
    Task UpdateServiceAsync(VirtualService service, CancellationToken cancellationToken = default);
    Task DeleteServiceAsync(VirtualServiceKey service, CancellationToken cancellationToken = default);
    Task CreateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default);
    Task UpdateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default);
    Task DeleteDestinationAsync(VirtualServiceKey service, DestinationKey destination, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends the operations back to back and collects their acknowledgements afterwards, in order.
    /// The kernel processes every operation even when an earlier one fails; the result lists each failure,
    /// and <see cref="IpvsBatchResult.ThrowIfFailed"/> raises the first one.
    /// </summary>
    Task<IpvsBatchResult> ExecuteAsync(IReadOnlyList<IpvsOperation> operations, CancellationToken cancellationToken = default);

    Task<IpvsInfo> GetInfoAsync(CancellationToken cancellationToken = default);
    Task<IpvsTimeouts> GetTimeoutsAsync(CancellationToken cancellationToken = default);
    Task SetTimeoutsAsync(IpvsTimeouts timeouts, CancellationToken cancellationToken = default);
    /// <summary>Zeroes the counters of one service, or of all when <paramref name="service"/> is null.</summary>
    Task ZeroAsync(VirtualServiceKey? service = null, CancellationToken cancellationToken = default);
    /// <summary>Deletes every service and destination in this namespace, whoever made them.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SyncDaemon>> GetSyncDaemonsAsync(CancellationToken cancellationToken = default);
    Task StartSyncDaemonAsync(SyncDaemon daemon, CancellationToken cancellationToken = default);
    Task StopSyncDaemonAsync(SyncDaemonState state, CancellationToken cancellationToken = default);
}
