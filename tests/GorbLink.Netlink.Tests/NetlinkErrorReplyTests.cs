using GorbLink.Netlink;

namespace GorbLink.Netlink.Tests;

/// <summary>Error replies whose own lengths lie: found by random input (issue 15, finding 1).</summary>
public class NetlinkErrorReplyTests
{
    /// <summary>struct nlmsgerr with an echoed request header claiming <paramref name="echoedLength"/> bytes, not capped, with ext-ack TLVs.</summary>
    private static byte[] ErrorBody(int errno, uint echoedLength)
    {
        var body = new byte[4 + NetlinkConstants.MessageHeaderLength];
        NativeEndian.Write(body, (uint)-errno);
        new NetlinkMessageHeader(echoedLength, 0x20, NetlinkMessageFlags.Request, 1, 0).Write(body.AsSpan(4));
        return body;
    }

    [Theory]
    [InlineData(0xFFFFFFFBu)]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x80000000u)]
    [InlineData(3u)]          // shorter than a header
    [InlineData(0u)]
    [InlineData(4096u)]       // longer than what was echoed
    public void AnEchoedLengthThatDoesNotFitGivesTheErrnoWithoutAMessage(uint echoedLength)
    {
        var header = new NetlinkMessageHeader(16 + 20, NetlinkConstants.NLMSG_ERROR, NetlinkMessageFlags.AckTlvs, 1, 1);
        var (errno, message) = NetlinkConnection.ParseError(header, ErrorBody(22, echoedLength));
        Assert.Equal(22, errno);
        Assert.Null(message);
    }

    [Fact]
    public async Task SuchAReplyOverTheSocketIsTheKernelsErrnoNotACrash()
    {
        var transport = new ScriptedTransport((sequence, portId) =>
        {
            var body = ErrorBody(22, 0xFFFFFFFCu);
            var bytes = new byte[NetlinkConstants.MessageHeaderLength + body.Length];
            new NetlinkMessageHeader((uint)bytes.Length, NetlinkConstants.NLMSG_ERROR, NetlinkMessageFlags.AckTlvs, sequence, portId).Write(bytes);
            body.CopyTo(bytes, NetlinkConstants.MessageHeaderLength);
            return bytes;
        });
        using var connection = new NetlinkConnection(() => transport);
        var error = await Assert.ThrowsAsync<NetlinkException>(() =>
            connection.ExchangeAsync(Request(), "new-service", null, TestContext.Current.CancellationToken));
        Assert.Equal(22, error.Errno);
        Assert.Equal("new-service", error.Operation);
    }

    [Fact]
    public async Task AReplyHandlerThatTripsOnBadLengthsIsAProtocolErrorAndTheSocketIsReplaced()
    {
        var opened = 0;
        var transport = new ScriptedTransport((sequence, portId) =>
        {
            var bytes = new byte[NetlinkConstants.MessageHeaderLength + 8];
            new NetlinkMessageHeader((uint)bytes.Length, 0x20, 0, sequence, portId).Write(bytes);
            return bytes;
        });
        using var connection = new NetlinkConnection(() => { opened++; return transport; });
        var error = await Assert.ThrowsAsync<NetlinkProtocolException>(() =>
            connection.ExchangeAsync(Request(), "get-service", (in NetlinkMessageHeader h, ReadOnlySpan<byte> payload) =>
                _ = payload[100], TestContext.Current.CancellationToken));
        Assert.Contains("get-service", error.Message);
        Assert.True(transport.Disposed);
        await Assert.ThrowsAnyAsync<NetlinkException>(() =>
            connection.ExchangeAsync(Request(), "get-service", (in NetlinkMessageHeader h, ReadOnlySpan<byte> payload) =>
                _ = payload[100], TestContext.Current.CancellationToken));
        Assert.Equal(2, opened);
    }

    private static byte[] Request()
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        var message = writer.BeginMessage(0x20, 0, 0);
        writer.WriteGenericHeader(1, 1);
        writer.EndMessage(message);
        return buffer.ToArray();
    }

    /// <summary>Answers each request with the bytes a function makes from its sequence number.</summary>
    private sealed class ScriptedTransport(Func<uint, uint, byte[]> reply) : INetlinkTransport
    {
        private readonly Queue<byte[]> _pending = new();
        public uint PortId => 77;
        public bool Disposed { get; private set; }

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
        {
            var header = NetlinkMessageHeader.Read(datagram.Span);
            _pending.Enqueue(reply(header.Sequence, PortId));
            return ValueTask.CompletedTask;
        }

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var next = _pending.Dequeue();
            next.CopyTo(buffer);
            return ValueTask.FromResult(next.Length);
        }

        public void Dispose() => Disposed = true;
    }
}
