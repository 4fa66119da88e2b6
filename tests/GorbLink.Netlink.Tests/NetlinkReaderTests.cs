using GorbLink.Netlink;

namespace GorbLink.Netlink.Tests;

public class NetlinkReaderTests
{
    [Fact]
    public void AttributeTypesAreMaskedAndUnknownOnesCanBeSkipped()
    {
        byte[] bytes =
        [
            8, 0, 0x05, 0x80, 1, 2, 3, 4, // type 5 with NLA_F_NESTED
            6, 0, 0xff, 0x3f, 9, 9, 0, 0, // type 0x3fff: unknown to anyone
            5, 0, 0x02, 0x40, 7, 0, 0, 0, // type 2 with NLA_F_NET_BYTEORDER
        ];
        var reader = new NetlinkAttributeReader(bytes);
        var seen = new List<(ushort, int)>();
        while (reader.TryRead(out var type, out var payload)) seen.Add((type, payload.Length));
        Assert.Equal([(5, 4), (0x3fff, 2), (2, 1)], seen);
    }

    [Fact]
    public void AttributeLongerThanTheBufferIsAProtocolError()
    {
        byte[] bytes = [12, 0, 1, 0, 1, 2, 3, 4];
        Assert.Throws<NetlinkProtocolException>(() =>
        {
            var reader = new NetlinkAttributeReader(bytes);
            reader.TryRead(out _, out _);
        });
    }

    [Fact]
    public void ShortPayloadForATypedGetterNamesTheAttribute()
    {
        var error = Assert.Throws<NetlinkProtocolException>(() => NetlinkAttribute.U32(new byte[2], "IPVS_SVC_ATTR_FWMARK"));
        Assert.Contains("IPVS_SVC_ATTR_FWMARK", error.Message);
    }

    [Fact]
    public void MessagesOfOneDatagramAreWalkedInOrder()
    {
        var first = new byte[20];
        new NetlinkMessageHeader(20, 0x20, NetlinkMessageFlags.Multi, 7, 1).Write(first);
        var second = new byte[20];
        new NetlinkMessageHeader(20, NetlinkConstants.NLMSG_DONE, NetlinkMessageFlags.Multi, 7, 1).Write(second);
        var reader = new NetlinkMessageReader([.. first, .. second]);
        Assert.True(reader.TryRead(out var a, out var pa));
        Assert.True(reader.TryRead(out var b, out _));
        Assert.False(reader.TryRead(out _, out _));
        Assert.Equal((ushort)0x20, a.Type);
        Assert.Equal(4, pa.Length);
        Assert.Equal(NetlinkConstants.NLMSG_DONE, b.Type);
    }

    [Fact]
    public void StringStopsAtNul()
    {
        Assert.Equal("rr", NetlinkAttribute.String("rr\0\0"u8));
        Assert.Equal("sh", NetlinkAttribute.String("sh"u8));
    }
}
