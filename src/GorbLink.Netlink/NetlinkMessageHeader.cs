namespace GorbLink.Netlink;

/// <summary>struct nlmsghdr, in host byte order.</summary>
public readonly record struct NetlinkMessageHeader(uint Length, ushort Type, NetlinkMessageFlags Flags, uint Sequence, uint PortId)
{
    public static NetlinkMessageHeader Read(ReadOnlySpan<byte> source) => new(
        NativeEndian.ReadUInt32(source),
        NativeEndian.ReadUInt16(source[4..]),
        (NetlinkMessageFlags)NativeEndian.ReadUInt16(source[6..]),
        NativeEndian.ReadUInt32(source[8..]),
        NativeEndian.ReadUInt32(source[12..]));

    public void Write(Span<byte> destination)
    {
        NativeEndian.Write(destination, Length);
        NativeEndian.Write(destination[4..], Type);
        NativeEndian.Write(destination[6..], (ushort)Flags);
        NativeEndian.Write(destination[8..], Sequence);
        NativeEndian.Write(destination[12..], PortId);
    }
}
