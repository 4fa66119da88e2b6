using System.Net.Sockets;
using System.Runtime.InteropServices;
using GorbLink.Netlink.Native;

namespace GorbLink.Netlink;

/// <summary>
/// An AF_NETLINK socket, opened with libc and wrapped in a <see cref="SafeSocketHandle"/> so .NET's Socket does
/// the (async, cancellable) I/O. Bound with nl_pid = 0: the kernel assigns a unique port id.
/// </summary>
public sealed class NetlinkSocket : INetlinkTransport
{
    private readonly Socket _socket;

    private NetlinkSocket(Socket socket, uint portId)
    {
        _socket = socket;
        PortId = portId;
    }

    public uint PortId { get; }

    /// <summary>Opens and binds a socket of the given netlink protocol (e.g. <see cref="NetlinkConstants.NETLINK_GENERIC"/>).</summary>
    public static NetlinkSocket Open(int protocol, int receiveBufferBytes = 4 << 20)
    {
        var fd = LibC.Socket(NetlinkConstants.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, protocol);
        if (fd < 0) throw new NetlinkException("socket", Errno.OfLastPInvoke());
        try
        {
            var address = new LibC.SockaddrNetlink { Family = NetlinkConstants.AF_NETLINK };
            if (LibC.Bind(fd, ref address, Marshal.SizeOf<LibC.SockaddrNetlink>()) != 0)
                throw new NetlinkException("bind", Errno.OfLastPInvoke());
            var length = Marshal.SizeOf<LibC.SockaddrNetlink>();
            if (LibC.GetSockName(fd, ref address, ref length) != 0)
                throw new NetlinkException("getsockname", Errno.OfLastPInvoke());

            // Error ACKs then carry only the request header, not its whole payload.
            SetOption(fd, NetlinkConstants.SOL_NETLINK, NetlinkConstants.NETLINK_CAP_ACK, 1);
            // Extended ACK: the kernel adds a human-readable reason to some errors. Kernels before 4.12 refuse it.
            SetOption(fd, NetlinkConstants.SOL_NETLINK, NetlinkConstants.NETLINK_EXT_ACK, 1);
            // Pipelined batches and big dumps queue many replies at once; a full receive queue drops them (ENOBUFS).
            // SO_RCVBUFFORCE passes rmem_max but needs CAP_NET_ADMIN, which IPVS needs anyway.
            if (!SetOption(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, receiveBufferBytes))
                SetOption(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, receiveBufferBytes);
            if (!SetOption(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, 1 << 20))
                SetOption(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, 1 << 20);

            var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            return new NetlinkSocket(socket, address.PortId);
        }
        catch
        {
            LibC.Close(fd);
            throw;
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
    {
        try
        {
            var sent = await _socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (sent != datagram.Length) throw new NetlinkException("send", Errno.EMSGSIZE);
        }
        catch (SocketException e)
        {
            throw new NetlinkException("send", e.ErrorCode == 0 ? new Errno((int)e.SocketErrorCode) : NativeErrno(e), inner: e);
        }
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new NetlinkException("receive", NativeErrno(e), inner: e);
        }
    }

    public bool TryReceive(Span<byte> buffer, out int received)
    {
        received = 0;
        var handle = _socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var count = LibC.Recv(handle.DangerousGetHandle(), ref MemoryMarshal.GetReference(buffer), buffer.Length, LibC.MSG_DONTWAIT);
            if (count >= 0)
            {
                received = (int)count;
                return true;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EAGAIN) return false;
            throw new NetlinkException("receive", new Errno(errno));
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    public void Dispose() => _socket.Dispose();

    private static Errno NativeErrno(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.NoBufferSpaceAvailable => Errno.ENOBUFS,
        SocketError.AccessDenied => Errno.EACCES,
        SocketError.MessageSize => Errno.EMSGSIZE,
        SocketError.ConnectionRefused => Errno.ECONNREFUSED,
        _ => e.ErrorCode > 0 && e.ErrorCode < 4096 ? new Errno(e.ErrorCode) : Errno.EIO,
    };

    private static bool SetOption(int fd, int level, int name, int value) =>
        LibC.SetSockOpt(fd, level, name, ref value, sizeof(int)) == 0;
}
