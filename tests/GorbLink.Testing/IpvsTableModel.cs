using GorbLink.Core.Desired;
using GorbLink.Ipvs;

namespace GorbLink.Testing;

/// <summary>
/// Applies operations to an in-memory table in order, refusing what the kernel refuses (EEXIST, ESRCH, ENOENT,
/// a destination of the other family without tunnel forwarding), and reporting back what a kernel reports.
/// </summary>
public static class IpvsTableModel
{
    public static IReadOnlyList<VirtualServiceTable> Apply(IReadOnlyList<VirtualServiceTable> tables, IReadOnlyList<IpvsOperation> operations)
    {
        var services = tables.Select(table => (Service: table.Service.Service, Destinations: table.Destinations.Select(d => d.Destination).ToList())).ToList();
        int IndexOf(VirtualServiceKey key) => services.FindIndex(service => service.Service.Key == key);
        int ExistingIndexOf(IpvsOperation operation, VirtualServiceKey key) =>
            IndexOf(key) is var index and >= 0 ? index : throw new InvalidOperationException($"ESRCH: {operation.Kind} {operation.Target}");

        foreach (var operation in operations)
        {
            switch (operation)
            {
                case IpvsOperation.CreateService create:
                    if (IndexOf(create.Service.Key) >= 0) throw new InvalidOperationException($"EEXIST: {create.Target}");
                    services.Add((create.Service, []));
                    break;
                case IpvsOperation.UpdateService update:
                    var updated = ExistingIndexOf(update, update.Service.Key);
                    services[updated] = (update.Service, services[updated].Destinations);
                    break;
                case IpvsOperation.DeleteService delete:
                    services.RemoveAt(ExistingIndexOf(delete, delete.Service));
                    break;
                case IpvsOperation.CreateDestination create:
                    var owner = services[ExistingIndexOf(create, create.Service)];
                    if (owner.Destinations.Any(d => d.Key == create.Destination.Key)) throw new InvalidOperationException($"EEXIST: {create.Target}");
                    if (create.Destination.Key.Family != create.Service.Family && create.Destination.Spec.Forward != ForwardMethod.Tunnel)
                        throw new InvalidOperationException($"EINVAL: {create.Target}");
                    owner.Destinations.Add(create.Destination);
                    break;
                case IpvsOperation.UpdateDestination update:
                    var destinations = services[ExistingIndexOf(update, update.Service)].Destinations;
                    var index = destinations.FindIndex(d => d.Key == update.Destination.Key);
                    if (index < 0) throw new InvalidOperationException($"ENOENT: {update.Target}");
                    destinations[index] = update.Destination;
                    break;
                case IpvsOperation.DeleteDestination delete:
                    if (services[ExistingIndexOf(delete, delete.Service)].Destinations.RemoveAll(d => d.Key == delete.Destination) == 0)
                        throw new InvalidOperationException($"ENOENT: {delete.Target}");
                    break;
                default:
                    throw new NotSupportedException(operation.Kind.ToString());
            }
        }
        return [.. services.Select(service => KernelTables.Readback(new DesiredService(service.Service, service.Destinations)))];
    }
}
