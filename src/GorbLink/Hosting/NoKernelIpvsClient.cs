using GorbLink.Ipvs;

namespace GorbLink.Hosting;

/// <summary>
/// The IPVS table of a kernel without IPVS, for --dry-run only: always empty, and every write refused. It lets a dry run
/// show what the agent would create on a machine (or in CI) whose kernel has no IPVS.
/// </summary>
internal sealed class NoKernelIpvsClient : IIpvsClient
{
    public Task<IReadOnlyList<VirtualServiceStatus>> GetServicesAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<VirtualServiceStatus>>([]);
    public Task<VirtualServiceStatus?> GetServiceAsync(VirtualServiceKey key, CancellationToken cancellationToken = default) => Task.FromResult<VirtualServiceStatus?>(null);
    public Task<IReadOnlyList<DestinationStatus>> GetDestinationsAsync(VirtualServiceKey service, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<DestinationStatus>>([]);
    public Task<IReadOnlyList<VirtualServiceTable>> GetTableAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<VirtualServiceTable>>([]);
    public Task<IpvsInfo> GetInfoAsync(CancellationToken cancellationToken = default) => Task.FromResult(new IpvsInfo(0, 0));
    public Task<IpvsTimeouts> GetTimeoutsAsync(CancellationToken cancellationToken = default) => Task.FromResult(new IpvsTimeouts(0, 0, 0));
    public Task<IReadOnlyList<SyncDaemon>> GetSyncDaemonsAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<SyncDaemon>>([]);

    public Task CreateServiceAsync(VirtualService service, CancellationToken cancellationToken = default) => Refuse();
    public Task UpdateServiceAsync(VirtualService service, CancellationToken cancellationToken = default) => Refuse();
    public Task DeleteServiceAsync(VirtualServiceKey service, CancellationToken cancellationToken = default) => Refuse();
    public Task CreateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default) => Refuse();
    public Task UpdateDestinationAsync(VirtualServiceKey service, Destination destination, CancellationToken cancellationToken = default) => Refuse();
    public Task DeleteDestinationAsync(VirtualServiceKey service, DestinationKey destination, CancellationToken cancellationToken = default) => Refuse();
    public Task<IpvsBatchResult> ExecuteAsync(IReadOnlyList<IpvsOperation> operations, CancellationToken cancellationToken = default) => Refuse<IpvsBatchResult>();
    public Task SetTimeoutsAsync(IpvsTimeouts timeouts, CancellationToken cancellationToken = default) => Refuse();
    public Task ZeroAsync(VirtualServiceKey? service = null, CancellationToken cancellationToken = default) => Refuse();
    public Task FlushAsync(CancellationToken cancellationToken = default) => Refuse();
    public Task StartSyncDaemonAsync(SyncDaemon daemon, CancellationToken cancellationToken = default) => Refuse();
    public Task StopSyncDaemonAsync(SyncDaemonState state, CancellationToken cancellationToken = default) => Refuse();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static Task Refuse() => Refuse<bool>();

    private static Task<T> Refuse<T>() =>
        Task.FromException<T>(new InvalidOperationException("this kernel has no IPVS: only a dry run can run here, and it writes nothing"));
}
