namespace GorbLink.Netlink;

/// <summary>Receives each reply message of an exchange; the payload is only valid during the call.</summary>
public delegate void NetlinkReplyHandler(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload);

/// <summary>What the kernel said to one message of a batch: 0, or a positive errno with its extended-ack text.</summary>
public readonly record struct NetlinkAck(Errno Errno, string? KernelMessage)
{
    public bool Succeeded => Errno.IsNone;
}

/// <summary>
/// Request/reply exchanges over one netlink socket: sequence numbers, ACK and error handling, multipart dumps
/// read to NLMSG_DONE, and pipelined batches. Calls are serialised; safe for concurrent use.
/// Nothing is opened until the first call. After a failure that may leave replies in flight (cancellation,
/// timeout, malformed reply) the socket is replaced, so later exchanges never read a stale reply.
/// </summary>
public sealed class NetlinkConnection : IDisposable
{
    /// <summary>Above the kernel's cap on dump datagrams (~32 KiB, SKB_WITH_OVERHEAD(32768)), so none is truncated.</summary>
    private const int ReceiveBufferBytes = 64 * 1024;
    /// <summary>Requests packed into one send; well under the default socket send buffer (~208 KiB).</summary>
    private const int BatchDatagramBytes = 32 * 1024;
    private const int BatchMessagesPerDatagram = 256;
    /// <summary>Datagrams in flight; bounds how many error replies can queue up in the receive buffer.</summary>
    private const int BatchWindow = 8;

    private readonly Func<INetlinkTransport> _transportFactory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferBytes];
    private INetlinkTransport? _transport;
    private uint _sequence;
    private bool _disposed;

    public NetlinkConnection(Func<INetlinkTransport> transportFactory)
    {
        _transportFactory = transportFactory;
        _sequence = (uint)Environment.TickCount;
    }

    /// <summary>How long to wait for the kernel's reply before giving up.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public static NetlinkConnection ForProtocol(int protocol) => new(() => NetlinkSocket.Open(protocol));

    /// <summary>
    /// Sends one request (its sequence number and NLM_F_ACK are set here) and hands every reply message to
    /// <paramref name="onReply"/> until the kernel's ACK, or NLMSG_DONE for a dump. A negative errno becomes a
    /// <see cref="NetlinkException"/> named after <paramref name="operation"/>.
    /// </summary>
    public async Task ExchangeAsync(byte[] request, string operation, NetlinkReplyHandler? onReply, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transport = Transport();
            var sequence = ++_sequence;
            var flags = (NetlinkMessageFlags)NativeEndian.ReadUInt16(request.AsSpan(6));
            var isDump = (flags & NetlinkMessageFlags.Dump) == NetlinkMessageFlags.Dump;
            Stamp(request, sequence, flags | NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack);
            // The timeout's timer is made only when a reply is not already queued (see INetlinkTransport.TryReceive):
            // a dump of 1,000 services' destinations is 2,000 receives that almost never wait.
            CancellationTokenSource? timeout = null;
            try
            {
                await transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!transport.TryReceive(_receiveBuffer, out var received))
                    {
                        if (timeout is null)
                        {
                            timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                            timeout.CancelAfter(ReplyTimeout);
                        }
                        received = await transport.ReceiveAsync(_receiveBuffer, timeout.Token).ConfigureAwait(false);
                    }
                    if (HandleDatagram(_receiveBuffer.AsSpan(0, received), transport.PortId, sequence, isDump, operation, onReply))
                        return;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Reset();
                throw new NetlinkException(operation, Errno.ETIMEDOUT, $"no reply within {ReplyTimeout.TotalSeconds:0} s", sequence);
            }
            catch (NetlinkException e) when (e is NetlinkProtocolException || e.Operation is "send" or "receive")
            {
                Reset();
                throw;
            }
            catch (Exception e) when (IsMalformedReply(e))
            {
                Reset();
                throw new NetlinkProtocolException($"malformed reply to {operation}: {e.Message}");
            }
            catch (OperationCanceledException)
            {
                Reset();
                throw;
            }
            finally
            {
                timeout?.Dispose();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Sends many requests back to back and collects what the kernel said to each, in order. Only the last message
    /// of each datagram asks for an ACK: the kernel processes a datagram's messages in order and answers every failed
    /// one with an error even without NLM_F_ACK, so that ACK proves everything before it was done.
    /// </summary>
    public Task<NetlinkAck[]> ExecuteBatchAsync(IReadOnlyList<byte[]> requests, CancellationToken cancellationToken)
    {
        var messages = new NetlinkBuffer(requests.Sum(request => NetlinkConstants.Align(request.Length)));
        foreach (var request in requests) request.CopyTo(messages.Append(NetlinkConstants.Align(request.Length)));
        return ExecuteBatchAsync(messages, cancellationToken);
    }

    /// <summary>
    /// As <see cref="ExecuteBatchAsync(IReadOnlyList{byte[]}, CancellationToken)"/>, for requests written one after
    /// another into <paramref name="messages"/> (as <see cref="NetlinkWriter"/> writes them). Datagrams are sent as
    /// slices of that buffer, with sequence numbers and flags stamped in place: no request is copied.
    /// </summary>
    public async Task<NetlinkAck[]> ExecuteBatchAsync(NetlinkBuffer messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var bytes = messages.WrittenMemory;
        var count = CountMessages(bytes.Span);
        var acks = new NetlinkAck[count];
        if (count == 0) return acks;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transport = Transport();
            var first = _sequence + 1;
            _sequence += (uint)count;
            var cut = CrashPoints.BatchCut(count);
            var chunks = PackDatagrams(bytes.Span, first, cut);
            var answered = new bool[count];
            int sent = 0, completed = 0;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                while (completed < chunks.Count)
                {
                    while (sent < chunks.Count && sent - completed < BatchWindow)
                    {
                        var chunk = chunks[sent];
                        await transport.SendAsync(bytes.Slice(chunk.Offset, chunk.Length), cancellationToken).ConfigureAwait(false);
                        sent++;
                        // The kernel runs a generic netlink datagram's messages inside sendmsg(2): once it returns,
                        // the first `cut` messages are done and none after them is.
                        if (chunks[sent - 1].FirstIndex + chunks[sent - 1].Count == cut) CrashPoints.Kill(CrashPoints.Armed!);
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!transport.TryReceive(_receiveBuffer, out var received))
                    {
                        timeout.CancelAfter(ReplyTimeout);
                        received = await transport.ReceiveAsync(_receiveBuffer, timeout.Token).ConfigureAwait(false);
                    }
                    completed += AbsorbBatchReplies(_receiveBuffer.AsSpan(0, received), transport.PortId, first, count, chunks, acks, answered);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Reset();
                throw new NetlinkException("batch", Errno.ETIMEDOUT, $"no reply within {ReplyTimeout.TotalSeconds:0} s", first);
            }
            catch (Exception e) when (e is OperationCanceledException or NetlinkException)
            {
                Reset();
                throw;
            }
            catch (Exception e) when (IsMalformedReply(e))
            {
                Reset();
                throw new NetlinkProtocolException($"malformed reply to a batch of {count}: {e.Message}");
            }
            return acks;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _transport?.Dispose();
        _transport = null;
    }

    /// <summary>A slice of the batch's buffer sent as one datagram: messages FirstIndex .. FirstIndex + Count - 1.</summary>
    private readonly record struct BatchDatagram(int Offset, int Length, int FirstIndex, int Count);

    private static int CountMessages(ReadOnlySpan<byte> messages)
    {
        var count = 0;
        for (var offset = 0; offset < messages.Length; offset += MessageSpan(messages, offset)) count++;
        return count;
    }

    /// <summary>The aligned length of the request at <paramref name="offset"/>; a length that does not fit is the caller's bug.</summary>
    private static int MessageSpan(ReadOnlySpan<byte> messages, int offset)
    {
        var length = messages.Length - offset >= NetlinkConstants.MessageHeaderLength ? NativeEndian.ReadUInt32(messages[offset..]) : 0;
        if (length < NetlinkConstants.MessageHeaderLength || length > messages.Length - offset)
            throw new ArgumentException($"request at byte {offset} has length {length}, which does not fit the batch", nameof(messages));
        return Math.Min(NetlinkConstants.Align((int)length), messages.Length - offset);
    }

    /// <param name="cut">A message index that must start a datagram (a crash point's K), or null.</param>
    private static List<BatchDatagram> PackDatagrams(Span<byte> messages, uint firstSequence, int? cut)
    {
        var chunks = new List<BatchDatagram>();
        int offset = 0, index = 0;
        while (offset < messages.Length)
        {
            int start = offset, startIndex = index, last = offset;
            while (offset < messages.Length && index - startIndex < BatchMessagesPerDatagram && (index == startIndex || index != cut))
            {
                var span = MessageSpan(messages, offset);
                if (offset > start && offset - start + span > BatchDatagramBytes) break;
                var message = messages.Slice(offset, span);
                var flags = (NetlinkMessageFlags)NativeEndian.ReadUInt16(message[6..]) | NetlinkMessageFlags.Request;
                Stamp(message, unchecked(firstSequence + (uint)index), flags & ~NetlinkMessageFlags.Ack);
                last = offset;
                offset += span;
                index++;
            }
            // The datagram's last message asks for the ACK that proves the whole datagram was done.
            var lastMessage = messages[last..];
            Stamp(lastMessage, unchecked(firstSequence + (uint)(index - 1)),
                (NetlinkMessageFlags)NativeEndian.ReadUInt16(lastMessage[6..]) | NetlinkMessageFlags.Ack);
            chunks.Add(new BatchDatagram(start, offset - start, startIndex, index - startIndex));
        }
        return chunks;
    }

    private static int AbsorbBatchReplies(ReadOnlySpan<byte> datagram, uint portId, uint firstSequence, int count,
        List<BatchDatagram> chunks, NetlinkAck[] acks, bool[] answered)
    {
        var completedChunks = 0;
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var header, out var payload))
        {
            var index = unchecked((int)(header.Sequence - firstSequence));
            if (header.PortId != portId || index < 0 || index >= count) continue;
            if (header.Type != NetlinkConstants.NLMSG_ERROR || answered[index]) continue;
            var (errno, message) = ParseError(header, payload);
            acks[index] = new NetlinkAck(errno, message);
            answered[index] = true;
            var chunk = chunks[FindChunk(chunks, index)];
            if (index == chunk.FirstIndex + chunk.Count - 1) completedChunks++;
        }
        return completedChunks;
    }

    private static int FindChunk(List<BatchDatagram> chunks, int index)
    {
        int low = 0, high = chunks.Count - 1;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (chunks[mid].FirstIndex <= index) low = mid; else high = mid - 1;
        }
        return low;
    }

    /// <returns>True when the exchange is complete.</returns>
    private static bool HandleDatagram(ReadOnlySpan<byte> datagram, uint portId, uint sequence, bool isDump,
        string operation, NetlinkReplyHandler? onReply)
    {
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var header, out var payload))
        {
            // Replies to an earlier, abandoned request of this socket; the socket is replaced after such
            // failures, so this is only a guard.
            if (header.Sequence != sequence || header.PortId != portId) continue;
            switch (header.Type)
            {
                case NetlinkConstants.NLMSG_ERROR:
                {
                    var (errno, message) = ParseError(header, payload);
                    if (!errno.IsNone) throw new NetlinkException(operation, errno, message, sequence);
                    // A dump is not ACKed on success (netlink_rcv_skb skips the ACK for -EINTR); for a doit
                    // the ACK follows any reply message.
                    if (!isDump) return true;
                    break;
                }
                case NetlinkConstants.NLMSG_DONE:
                {
                    if (payload.Length >= 4)
                    {
                        var status = NativeEndian.ReadInt32(payload);
                        if (status < 0) throw new NetlinkException(operation, new Errno(-status), null, sequence);
                    }
                    return true;
                }
                case NetlinkConstants.NLMSG_NOOP:
                    break;
                case NetlinkConstants.NLMSG_OVERRUN:
                    throw new NetlinkException(operation, Errno.ENOBUFS, "receive queue overrun", sequence);
                default:
                    onReply?.Invoke(header, payload);
                    break;
            }
        }
        return false;
    }

    /// <summary>
    /// struct nlmsgerr: s32 error, the request's nlmsghdr, the request payload unless NLM_F_CAPPED,
    /// then extended-ack TLVs when NLM_F_ACK_TLVS.
    /// </summary>
    internal static (Errno Errno, string? Message) ParseError(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4) throw new NetlinkProtocolException($"error message has {payload.Length} bytes");
        var errno = new Errno(-NativeEndian.ReadInt32(payload));
        return (errno, errno.IsNone ? null : ParseExtendedAck(payload, header.Flags));
    }

    internal static string? ParseExtendedAck(ReadOnlySpan<byte> payload, NetlinkMessageFlags flags)
    {
        if ((flags & NetlinkMessageFlags.AckTlvs) == 0 || payload.Length < 4 + NetlinkConstants.MessageHeaderLength) return null;
        var original = NetlinkMessageHeader.Read(payload[4..]);
        // The echoed nlmsg_len comes off the wire: a damaged one (shorter than a header, or near 2^32) must not
        // wrap the offset. Computed in 64 bits; an echo that does not fit the payload means no TLVs to read.
        long offset = 4 + NetlinkConstants.MessageHeaderLength;
        if ((flags & NetlinkMessageFlags.Capped) == 0)
        {
            if (original.Length < NetlinkConstants.MessageHeaderLength) return null;
            offset += ((long)original.Length - NetlinkConstants.MessageHeaderLength + 3) & ~3L;
        }
        if (offset > payload.Length) return null;
        var attributes = new NetlinkAttributeReader(payload[(int)offset..]);
        while (attributes.TryRead(out var type, out var value))
        {
            if (type == NetlinkConstants.NLMSGERR_ATTR_MSG) return NetlinkAttribute.String(value);
        }
        return null;
    }

    /// <summary>What a parser throws on bytes that lie about their own lengths; the socket is then out of step and replaced.</summary>
    private static bool IsMalformedReply(Exception e) => e is ArgumentException or IndexOutOfRangeException or OverflowException;

    private INetlinkTransport Transport()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _transport ??= _transportFactory();
    }

    private void Reset()
    {
        _transport?.Dispose();
        _transport = null;
    }

    private static void Stamp(Span<byte> message, uint sequence, NetlinkMessageFlags flags)
    {
        NativeEndian.Write(message[6..], (ushort)flags);
        NativeEndian.Write(message[8..], sequence);
        NativeEndian.Write(message[12..], 0u);
    }
}
