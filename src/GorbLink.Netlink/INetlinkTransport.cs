namespace GorbLink.Netlink;

/// <summary>
/// Datagram exchange with the kernel: the seam where tests put a fake kernel. Each send is one datagram that may
/// hold several messages; each receive returns one datagram.
/// </summary>
public interface INetlinkTransport : IDisposable
{
    /// <summary>The port id the kernel assigned at bind (nl_pid); replies carry it.</summary>
    uint PortId { get; }
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken);
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>
    /// Receives a datagram that is already queued, without waiting; false when none is. The kernel answers a netlink
    /// request inside the sender's send(), so the reply is usually there: this spares each exchange the cost of an
    /// asynchronous receive and its timeout timer. A transport without it always answers false.
    /// </summary>
    bool TryReceive(Span<byte> buffer, out int received)
    {
        received = 0;
        return false;
    }
}
