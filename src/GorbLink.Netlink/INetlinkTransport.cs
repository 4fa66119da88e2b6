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
}
