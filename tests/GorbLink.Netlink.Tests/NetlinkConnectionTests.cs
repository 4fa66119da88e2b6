using GorbLink.Netlink;
using GorbLink.Netlink.Generic;
using GorbLink.Netlink.Testing;

namespace GorbLink.Netlink.Tests;

public class NetlinkConnectionTests
{
    private static byte[] Request(ushort type, NetlinkMessageFlags flags, byte command = 1)
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        var message = writer.BeginMessage(type, flags, 0);
        writer.WriteGenericHeader(command, 1);
        writer.EndMessage(message);
        return buffer.ToArray();
    }

    private static byte[] Body(byte command, uint value)
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        writer.WriteGenericHeader(command, 1);
        writer.WriteU32(1, value);
        return buffer.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DoitRepliesArriveBeforeTheAckAndRequestsCarryRequestAckAndSequence(bool repliesReadyAtOnce)
    {
        var kernel = new FakeKernel(_ => FakeReply.With(Body(4, 42))) { RepliesReadyAtOnce = repliesReadyAtOnce };
        using var connection = new NetlinkConnection(() => kernel);
        var seen = new List<uint>();
        await connection.ExchangeAsync(Request(0x20, 0), "get", (in NetlinkMessageHeader _, ReadOnlySpan<byte> p) =>
            seen.Add(NativeEndian.ReadUInt32(p[8..])), TestContext.Current.CancellationToken);
        Assert.Equal([42u], seen);
        var sent = Assert.Single(kernel.Requests).Header;
        Assert.Equal(NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack, sent.Flags);
        Assert.NotEqual(0u, sent.Sequence);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DumpIsReadAcrossDatagramsUntilDone(bool repliesReadyAtOnce)
    {
        var kernel = new FakeKernel(_ => new FakeReply(Enumerable.Range(1, 7).Select(i => Body(4, (uint)i)).ToList()))
        {
            MaxMessagesPerDatagram = 3,
            RepliesReadyAtOnce = repliesReadyAtOnce,
        };
        using var connection = new NetlinkConnection(() => kernel);
        var seen = new List<uint>();
        await connection.ExchangeAsync(Request(0x20, NetlinkMessageFlags.Dump), "dump", (in NetlinkMessageHeader _, ReadOnlySpan<byte> p) =>
            seen.Add(NativeEndian.ReadUInt32(p[8..])), TestContext.Current.CancellationToken);
        Assert.Equal([1u, 2, 3, 4, 5, 6, 7], seen);
    }

    [Fact]
    public async Task KernelErrorBecomesNetlinkExceptionWithErrnoAndExtendedAck()
    {
        var kernel = new FakeKernel(_ => FakeReply.Fail(22, "missing attribute"));
        using var connection = new NetlinkConnection(() => kernel);
        var error = await Assert.ThrowsAsync<NetlinkException>(() =>
            connection.ExchangeAsync(Request(0x20, 0), "new-thing", null, TestContext.Current.CancellationToken));
        Assert.Equal(22, error.Errno);
        Assert.Equal("missing attribute", error.KernelMessage);
        Assert.Equal("new-thing", error.Operation);
        Assert.Contains("missing attribute", error.Message);
    }

    [Fact]
    public async Task RepliesWithAForeignSequenceAreSkipped()
    {
        var kernel = new FakeKernel(_ => FakeReply.With(Body(4, 1)));
        kernel.Inject(kernel.Message(0x20, 0, 12345, Body(4, 999)));
        using var connection = new NetlinkConnection(() => kernel);
        var seen = new List<uint>();
        await connection.ExchangeAsync(Request(0x20, 0), "get", (in NetlinkMessageHeader _, ReadOnlySpan<byte> p) =>
            seen.Add(NativeEndian.ReadUInt32(p[8..])), TestContext.Current.CancellationToken);
        Assert.Equal([1u], seen);
    }

    [Fact]
    public async Task TimeoutReplacesTheSocket()
    {
        var opened = 0;
        var kernel = new FakeKernel(_ => new FakeReply([], 0)); // answers nothing to a request without ACK... but we force ACK
        var silent = new SilentTransport();
        using var connection = new NetlinkConnection(() => { opened++; return silent; }) { ReplyTimeout = TimeSpan.FromMilliseconds(50) };
        var error = await Assert.ThrowsAsync<NetlinkException>(() =>
            connection.ExchangeAsync(Request(0x20, 0), "get", null, TestContext.Current.CancellationToken));
        Assert.Equal(110, error.Errno);
        Assert.True(silent.Disposed);
        await Assert.ThrowsAsync<NetlinkException>(() =>
            connection.ExchangeAsync(Request(0x20, 0), "get", null, TestContext.Current.CancellationToken));
        Assert.Equal(2, opened);
        _ = kernel;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task BatchAsksForAnAckOnlyOnTheLastMessageOfEachDatagramAndReportsEachFailure(bool repliesReadyAtOnce, bool oneBuffer)
    {
        var kernel = new FakeKernel(r => NativeEndian.ReadUInt32(r.Attributes[4..]) % 5 == 3 ? FakeReply.Fail(17) : FakeReply.Ack)
        {
            MaxMessagesPerDatagram = 1,
            RepliesReadyAtOnce = repliesReadyAtOnce,
        };
        using var connection = new NetlinkConnection(() => kernel);
        var requests = Enumerable.Range(0, 600).Select(i =>
        {
            var buffer = new NetlinkBuffer();
            var writer = new NetlinkWriter(buffer);
            var message = writer.BeginMessage(0x20, 0, 0);
            writer.WriteGenericHeader(1, 1);
            writer.WriteU32(1, (uint)i);
            writer.EndMessage(message);
            return buffer.ToArray();
        }).ToList();

        // The same requests written one after another into one buffer (as IpvsNetlinkClient writes a batch).
        var batch = new NetlinkBuffer();
        foreach (var request in requests) request.CopyTo(batch.Append(request.Length));

        var acks = oneBuffer
            ? await connection.ExecuteBatchAsync(batch, TestContext.Current.CancellationToken)
            : await connection.ExecuteBatchAsync(requests, TestContext.Current.CancellationToken);

        Assert.Equal(600, acks.Length);
        for (var i = 0; i < 600; i++) Assert.Equal(i % 5 == 3 ? 17 : 0, acks[i].Errno);
        Assert.True(kernel.Datagrams < 10, $"600 requests took {kernel.Datagrams} datagrams");
        var acked = kernel.Requests.Count(r => r.Header.Flags.HasFlag(NetlinkMessageFlags.Ack));
        Assert.Equal(kernel.Datagrams, acked);
        Assert.Equal(600, kernel.Requests.Select(r => r.Header.Sequence).Distinct().Count());
    }

    [Fact]
    public async Task FamilyResolutionParsesIdAndMissingFamilyIsNamed()
    {
        var kernel = new FakeKernel(r =>
        {
            var reader = new NetlinkAttributeReader(r.Attributes);
            reader.TryRead(out _, out var name);
            if (NetlinkAttribute.String(name) != "IPVS") return FakeReply.Fail(2);
            var buffer = new NetlinkBuffer();
            var writer = new NetlinkWriter(buffer);
            writer.WriteGenericHeader(GenericNetlink.CTRL_CMD_NEWFAMILY, 2);
            writer.WriteU16(GenericNetlink.CTRL_ATTR_FAMILY_ID, 0x23);
            writer.WriteString(GenericNetlink.CTRL_ATTR_FAMILY_NAME, "IPVS");
            writer.WriteU32(GenericNetlink.CTRL_ATTR_VERSION, 1);
            writer.WriteU32(99, 7); // an attribute newer kernels might add
            return FakeReply.With(buffer.ToArray());
        });
        using var connection = new NetlinkConnection(() => kernel);
        var family = await GenericNetlink.ResolveFamilyAsync(connection, "IPVS", TestContext.Current.CancellationToken);
        Assert.Equal(new GenericNetlinkFamily("IPVS", 0x23, 1, 0, 0), family);
        var missing = await Assert.ThrowsAsync<GenericNetlinkFamilyNotFoundException>(() =>
            GenericNetlink.ResolveFamilyAsync(connection, "NOPE", TestContext.Current.CancellationToken));
        Assert.Contains("NOPE", missing.Message);
    }

    private sealed class SilentTransport : INetlinkTransport
    {
        public uint PortId => 1;
        public bool Disposed { get; private set; }
        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
        public void Dispose() => Disposed = true;
    }
}
