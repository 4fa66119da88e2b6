using System.Runtime.InteropServices;
using GorbLink.Netlink.Native;

namespace GorbLink.Netlink.Route;

/// <summary>Addresses of this network namespace's interfaces: list, add, delete. The seam where tests put a fake.</summary>
public interface IInterfaceAddressClient
{
    /// <summary>The interface's index (if_nametoindex).</summary>
    /// <exception cref="InterfaceNotFoundException">No interface of that name.</exception>
    int GetInterfaceIndex(string name);

    /// <summary>Every IPv4 and IPv6 address on every interface.</summary>
    Task<IReadOnlyList<InterfaceAddress>> GetAddressesAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds the address; false (and nothing changed) when the interface already has it (EEXIST).</summary>
    Task<bool> AddAsync(InterfaceAddress address, CancellationToken cancellationToken = default);

    /// <summary>Deletes the address; false when the interface does not have it (EADDRNOTAVAIL).</summary>
    Task<bool> DeleteAsync(InterfaceAddress address, CancellationToken cancellationToken = default);
}

/// <summary>
/// <see cref="IInterfaceAddressClient"/> over a NETLINK_ROUTE socket of the shared netlink layer (what `ip addr` does).
/// Adding and deleting need CAP_NET_ADMIN; listing does not. Safe for concurrent use: calls are serialised.
/// </summary>
public sealed class InterfaceAddressClient(NetlinkConnection connection) : IInterfaceAddressClient, IDisposable
{
    /// <summary>A client on its own NETLINK_ROUTE socket (opened on first use).</summary>
    public static InterfaceAddressClient Open() => new(NetlinkConnection.ForProtocol(NetlinkConstants.NETLINK_ROUTE));

    public int GetInterfaceIndex(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var index = LibC.IfNameToIndex(name);
        if (index == 0)
        {
            var errno = Errno.OfLastPInvoke();
            throw new InterfaceNotFoundException(name, errno.IsNone ? Errno.ENODEV : errno);
        }
        return (int)index;
    }

    public async Task<IReadOnlyList<InterfaceAddress>> GetAddressesAsync(CancellationToken cancellationToken = default)
    {
        var addresses = new List<InterfaceAddress>();
        await connection.ExchangeAsync(AddressMessages.BuildDump(), "list addresses",
            (in NetlinkMessageHeader header, ReadOnlySpan<byte> payload) =>
            {
                if (AddressMessages.Parse(header, payload) is { } address) addresses.Add(address);
            }, cancellationToken).ConfigureAwait(false);
        return addresses;
    }

    public async Task<bool> AddAsync(InterfaceAddress address, CancellationToken cancellationToken = default)
    {
        try
        {
            await connection.ExchangeAsync(AddressMessages.BuildAdd(address), $"add address {address} to interface {address.InterfaceIndex}",
                null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException e) when (e.Errno.AlreadyExists)
        {
            return false;
        }
    }

    public async Task<bool> DeleteAsync(InterfaceAddress address, CancellationToken cancellationToken = default)
    {
        try
        {
            await connection.ExchangeAsync(AddressMessages.BuildDelete(address), $"delete address {address} from interface {address.InterfaceIndex}",
                null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException e) when (e.Errno == Errno.EADDRNOTAVAIL || e.Errno == Errno.ENODEV)
        {
            // ENODEV: the interface is gone, and its addresses with it.
            return false;
        }
    }

    public void Dispose() => connection.Dispose();
}

/// <summary>No network interface has the name (in this network namespace).</summary>
public sealed class InterfaceNotFoundException(string name, Errno errno)
    : NetlinkException("if_nametoindex", errno, $"no network interface named \"{name}\"")
{
    public string InterfaceName { get; } = name;
}
