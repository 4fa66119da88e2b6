using GorbLink.Netlink;

namespace GorbLink.Netlink.Tests;

public class NetlinkWriterTests
{
    private static byte[] Write(Action<NetlinkBuffer> write)
    {
        var buffer = new NetlinkBuffer();
        write(buffer);
        return buffer.ToArray();
    }

    [Fact]
    public void U16AttributeIsPaddedToFourBytesButItsLengthIsNot()
    {
        var bytes = Write(b => new NetlinkWriter(b).WriteU16(1, 0x0002));
        Assert.Equal(new byte[] { 6, 0, 1, 0, /* value */ 2, 0, /* pad */ 0, 0 }, bytes);
    }

    [Fact]
    public void StringAttributeIsNulTerminatedAndPadded()
    {
        var bytes = Write(b => new NetlinkWriter(b).WriteString(6, "wlc"));
        Assert.Equal(new byte[] { 8, 0, 6, 0, (byte)'w', (byte)'l', (byte)'c', 0 }, bytes);
    }

    [Fact]
    public void BigEndianPortIsInNetworkOrder()
    {
        var bytes = Write(b => new NetlinkWriter(b).WriteBigEndianU16(4, 80));
        Assert.Equal(new byte[] { 6, 0, 4, 0, 0x00, 0x50, 0, 0 }, bytes);
    }

    [Fact]
    public void NestLengthIsFilledInWhenTheNestEnds()
    {
        var bytes = Write(b =>
        {
            var writer = new NetlinkWriter(b);
            var nest = writer.BeginNest(1);
            writer.WriteU32(5, 7);
            writer.WriteU8(13, 1);
            writer.EndNest(nest);
        });
        Assert.Equal(new byte[]
        {
            20, 0, 1, 0,             // nest: 4 + 8 + 8
            8, 0, 5, 0, 7, 0, 0, 0,  // u32
            5, 0, 13, 0, 1, 0, 0, 0, // u8 + 3 pad
        }, bytes);
    }

    [Fact]
    public void NestedFlagIsSetOnlyWhenAsked()
    {
        var bytes = Write(b =>
        {
            var writer = new NetlinkWriter(b);
            writer.EndNest(writer.BeginNest(3, setNestedFlag: true));
        });
        Assert.Equal(new byte[] { 4, 0, 3, 0x80 }, bytes);
    }

    [Fact]
    public void MessageHeaderCarriesTotalLengthTypeFlagsSequence()
    {
        var bytes = Write(b =>
        {
            var writer = new NetlinkWriter(b);
            var message = writer.BeginMessage(0x10, NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack, 0x01020304);
            writer.WriteGenericHeader(3, 1);
            writer.WriteString(2, "IPVS");
            writer.EndMessage(message);
        });
        Assert.Equal(new byte[]
        {
            32, 0, 0, 0, 0x10, 0, 0x05, 0, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0, // nlmsghdr
            3, 1, 0, 0,                                                       // genlmsghdr
            9, 0, 2, 0, (byte)'I', (byte)'P', (byte)'V', (byte)'S', 0, 0, 0, 0, // "IPVS\0" + pad
        }, bytes);
    }

    [Fact]
    public void ZeroLengthFlagAttributeIsOnlyAHeader()
    {
        var bytes = Write(b => new NetlinkWriter(b).WriteFlag(9));
        Assert.Equal(new byte[] { 4, 0, 9, 0 }, bytes);
    }
}
