using System.Net.Sockets;
using CsCheck;
using GorbLink.Fuzz.Tests.Ipvs;
using GorbLink.Fuzz.Tests.Support;
using GorbLink.Ipvs.Netlink;
using GorbLink.Netlink;
using GorbLink.Netlink.Route;

namespace GorbLink.Fuzz.Tests.Netlink;

/// <summary>
/// Whatever a netlink socket delivers, the readers and every IPVS and address parser either return a value or throw
/// <see cref="NetlinkProtocolException"/>; an exchange ends with a result or a <see cref="NetlinkException"/>, never
/// another exception and never a hang.
/// </summary>
public class NetlinkReplyFuzzTests
{
    private static Gen<byte[]> Datagrams => ByteMutator.From([.. IpvsSeeds.Datagrams(), .. Corpus.Hex("netlink")]);

    [Fact]
    public void EveryMessageParserReturnsOrThrowsAProtocolError()
    {
        FuzzRun.Run(Datagrams, datagram =>
        {
            try
            {
                var reader = new NetlinkMessageReader(datagram);
                while (reader.TryRead(out var header, out var payload)) ParseEveryWay(header, payload);
            }
            catch (NetlinkProtocolException)
            {
            }
        }, Convert.ToHexString);
    }

    private static void ParseEveryWay(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.Type == NetlinkConstants.NLMSG_ERROR)
        {
            NetlinkConnection.ParseError(header, payload);
            return;
        }
        foreach (var parse in Parsers)
        {
            try
            {
                parse(header, payload.ToArray());
            }
            catch (NetlinkProtocolException)
            {
            }
        }
    }

    private delegate void Parser(NetlinkMessageHeader header, byte[] payload);

    private static readonly Parser[] Parsers =
    [
        (_, p) => IpvsCodec.ParseServiceMessage(p),
        (_, p) => IpvsCodec.ParseDestinationMessage(p, AddressFamily.InterNetwork),
        (_, p) => IpvsCodec.ParseDestinationMessage(p, AddressFamily.InterNetworkV6),
        (_, p) => IpvsCodec.ParseInfo(p),
        (_, p) => IpvsCodec.ParseConfig(p),
        (_, p) => IpvsCodec.ParseDaemonMessage(p),
        (h, p) => AddressMessages.Parse(h with { Type = RouteConstants.RTM_NEWADDR }, p),
    ];

    [Fact]
    public void AnExchangeAnsweredWithAnyDatagramEndsInAResultOrANetlinkError()
    {
        FuzzRun.Run(Datagrams, datagram =>
        {
            var transport = new OneDatagramTransport(datagram);
            using var connection = new NetlinkConnection(() => transport) { ReplyTimeout = TimeSpan.FromSeconds(5) };
            try
            {
                connection.ExchangeAsync(IpvsCodec.DumpServices(IpvsSeeds.FamilyId), "all services",
                    (in NetlinkMessageHeader _, ReadOnlySpan<byte> payload) => IpvsCodec.ParseServiceMessage(payload),
                    CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (NetlinkException)
            {
            }
        }, Convert.ToHexString);
    }

    /// <summary>
    /// Delivers the fuzzed datagram with each message's sequence and port set to the request's (so it is read, not
    /// skipped as stale), then an EPROTO error that ends any exchange still waiting.
    /// </summary>
    private sealed class OneDatagramTransport(byte[] datagram) : INetlinkTransport
    {
        private readonly Queue<byte[]> _replies = new();
        public uint PortId => 99;

        public ValueTask SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            var sequence = NetlinkMessageHeader.Read(request.Span).Sequence;
            var stamped = (byte[])datagram.Clone();
            for (var offset = 0; offset + NetlinkConstants.MessageHeaderLength <= stamped.Length;)
            {
                NativeEndian.Write(stamped.AsSpan(offset + 8), sequence);
                NativeEndian.Write(stamped.AsSpan(offset + 12), PortId);
                var length = (int)Math.Min(NativeEndian.ReadUInt32(stamped.AsSpan(offset)), int.MaxValue);
                if (length < NetlinkConstants.MessageHeaderLength) break;
                offset += NetlinkConstants.Align(length);
            }
            _replies.Enqueue(stamped);
            var end = new byte[NetlinkConstants.MessageHeaderLength + 4 + NetlinkConstants.MessageHeaderLength];
            new NetlinkMessageHeader((uint)end.Length, NetlinkConstants.NLMSG_ERROR, NetlinkMessageFlags.Capped, sequence, PortId).Write(end);
            NativeEndian.Write(end.AsSpan(16), unchecked((uint)-71));
            _replies.Enqueue(end);
            return ValueTask.CompletedTask;
        }

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var next = _replies.Dequeue();
            var length = Math.Min(next.Length, buffer.Length);
            next.AsSpan(0, length).CopyTo(buffer.Span);
            return ValueTask.FromResult(length);
        }

        public void Dispose() { }
    }
}
