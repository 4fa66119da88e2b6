using System.Threading.Channels;

namespace GorbLink.Netlink.Testing;

/// <summary>One request message as the fake kernel received it.</summary>
public sealed record FakeRequest(NetlinkMessageHeader Header, byte[] Payload)
{
    /// <summary>genlmsghdr.cmd.</summary>
    public byte Command => Payload.Length > 0 ? Payload[0] : (byte)0;
    public ReadOnlySpan<byte> Attributes => Payload.AsSpan(Math.Min(Payload.Length, NetlinkConstants.GenericHeaderLength));
}

/// <summary>
/// A netlink transport that answers like the kernel: every request message is handed to a function that returns
/// the reply messages; the fake adds the ACK or error the real kernel would send (per NLM_F_ACK and the errno),
/// and the NLMSG_DONE that ends a dump. Replies are split into datagrams of at most <see cref="MaxMessagesPerDatagram"/>
/// messages so clients' multipart handling is exercised.
/// </summary>
public sealed class FakeKernel : INetlinkTransport
{
    private readonly Func<FakeRequest, FakeReply> _handler;
    private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>();

    public FakeKernel(Func<FakeRequest, FakeReply> handler, uint portId = 4242)
    {
        _handler = handler;
        PortId = portId;
    }

    public uint PortId { get; }
    public int MaxMessagesPerDatagram { get; init; } = 2;
    /// <summary>
    /// Replies can be taken without waiting (<see cref="INetlinkTransport.TryReceive"/>), as from a real netlink socket,
    /// where the kernel has answered before send() returns. Off: every receive is asynchronous.
    /// </summary>
    public bool RepliesReadyAtOnce { get; init; }
    public List<FakeRequest> Requests { get; } = [];
    public int Datagrams { get; private set; }
    public bool Disposed { get; private set; }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
    {
        Datagrams++;
        var reader = new NetlinkMessageReader(datagram.Span);
        while (reader.TryRead(out var header, out var payload))
        {
            var request = new FakeRequest(header, payload.ToArray());
            Requests.Add(request);
            var reply = _handler(request);
            var isDump = (header.Flags & NetlinkMessageFlags.Dump) == NetlinkMessageFlags.Dump;
            var messages = new List<byte[]>();
            foreach (var body in reply.Messages)
                messages.Add(Message(header.Type, isDump ? NetlinkMessageFlags.Multi : 0, header.Sequence, body));
            if (reply.Errno != 0 || (!isDump && header.Flags.HasFlag(NetlinkMessageFlags.Ack)))
                messages.Add(Error(header, reply.Errno, reply.ExtendedAck));
            else if (isDump)
                messages.Add(Message(NetlinkConstants.NLMSG_DONE, NetlinkMessageFlags.Multi, header.Sequence, new byte[4]));
            foreach (var chunk in messages.Chunk(MaxMessagesPerDatagram))
                _outbound.Writer.TryWrite(chunk.SelectMany(m => m).ToArray());
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var datagram = await _outbound.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    public bool TryReceive(Span<byte> buffer, out int received)
    {
        received = 0;
        if (!RepliesReadyAtOnce || !_outbound.Reader.TryRead(out var datagram)) return false;
        datagram.CopyTo(buffer);
        received = datagram.Length;
        return true;
    }

    /// <summary>Queues a datagram the client did not ask for (e.g. a stale reply).</summary>
    public void Inject(byte[] datagram) => _outbound.Writer.TryWrite(datagram);

    public void Dispose() => Disposed = true;

    public byte[] Message(ushort type, NetlinkMessageFlags flags, uint sequence, byte[] body)
    {
        var length = NetlinkConstants.MessageHeaderLength + body.Length;
        var bytes = new byte[NetlinkConstants.Align(length)];
        new NetlinkMessageHeader((uint)length, type, flags, sequence, PortId).Write(bytes);
        body.CopyTo(bytes, NetlinkConstants.MessageHeaderLength);
        return bytes;
    }

    /// <summary>struct nlmsgerr as a kernel with NETLINK_CAP_ACK and NETLINK_EXT_ACK sends it.</summary>
    private byte[] Error(NetlinkMessageHeader request, int errno, string? extendedAck)
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        var body = new byte[4 + NetlinkConstants.MessageHeaderLength];
        NativeEndian.Write(body, (uint)-errno);
        request.Write(body.AsSpan(4));
        buffer.Clear();
        var flags = NetlinkMessageFlags.Capped;
        if (extendedAck is not null)
        {
            flags |= NetlinkMessageFlags.AckTlvs;
            writer.WriteString(NetlinkConstants.NLMSGERR_ATTR_MSG, extendedAck);
        }
        return Message(NetlinkConstants.NLMSG_ERROR, flags, request.Sequence, [.. body, .. buffer.WrittenSpan]);
    }
}

/// <summary>What the fake kernel answers to one request: reply message bodies (genl header + attributes) and an errno.</summary>
public sealed record FakeReply(IReadOnlyList<byte[]> Messages, int Errno = 0, string? ExtendedAck = null)
{
    public static FakeReply Ack { get; } = new([]);
    public static FakeReply Fail(int errno, string? extendedAck = null) => new([], errno, extendedAck);
    public static FakeReply With(params byte[][] messages) => new(messages);
}
