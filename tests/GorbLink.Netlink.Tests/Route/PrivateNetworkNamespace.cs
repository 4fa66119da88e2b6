using System.Runtime.InteropServices;
using GorbLink.Netlink;

namespace GorbLink.Netlink.Tests.Route;

/// <summary>
/// A NETLINK_ROUTE socket inside a fresh network namespace of its own (only `lo`, index 1), so address changes can be
/// tested on the real kernel without touching the machine's interfaces. Network namespaces are per thread: the socket
/// is opened on a thread that unshared its namespace, and keeps that namespace for its whole life.
/// </summary>
internal static partial class PrivateNetworkNamespace
{
    private const int CLONE_NEWNET = 0x40000000;

    /// <summary>A socket in a new namespace; skips the test when this process may not create one (not root).</summary>
    public static NetlinkSocket OpenRouteSocket()
    {
        NetlinkSocket? socket = null;
        var errno = 0;
        var thread = new Thread(() =>
        {
            if (unshare(CLONE_NEWNET) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return;
            }
            socket = NetlinkSocket.Open(NetlinkConstants.NETLINK_ROUTE);
        });
        thread.Start();
        thread.Join();
        if (socket is null) Assert.Skip($"cannot create a network namespace here (unshare: errno {errno}); run as root");
        return socket;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unshare(int flags);
}
