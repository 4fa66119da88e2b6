using System.Buffers.Binary;
using System.Text;

namespace GorbLink.Netlink;

/// <summary>Position of a message whose nlmsg_len is filled in by <see cref="NetlinkWriter.EndMessage"/>.</summary>
public readonly record struct MessageStart(int Offset);

/// <summary>Position of a nest whose nla_len is filled in by <see cref="NetlinkWriter.EndNest"/>.</summary>
public readonly record struct NestStart(int Offset);

/// <summary>
/// Appends netlink messages and attributes to a <see cref="NetlinkBuffer"/>. Lengths of messages and nests are
/// reserved when they start and written when they end. Attributes are padded to 4 bytes (NLA_ALIGNTO);
/// nla_len itself counts the unpadded payload, as the kernel expects.
/// </summary>
public ref struct NetlinkWriter
{
    private readonly NetlinkBuffer _buffer;

    public NetlinkWriter(NetlinkBuffer buffer) => _buffer = buffer;

    public readonly MessageStart BeginMessage(ushort type, NetlinkMessageFlags flags, uint sequence, uint portId = 0)
    {
        var offset = _buffer.Length;
        var header = _buffer.Append(NetlinkConstants.MessageHeaderLength);
        new NetlinkMessageHeader(0, type, flags, sequence, portId).Write(header);
        return new MessageStart(offset);
    }

    /// <summary>struct genlmsghdr: cmd, version, reserved = 0 (genl_header_check rejects non-zero reserved on newer ops).</summary>
    public readonly void WriteGenericHeader(byte command, byte version)
    {
        var header = _buffer.Append(NetlinkConstants.GenericHeaderLength);
        header[0] = command;
        header[1] = version;
    }

    /// <summary>
    /// A fixed-size family header right after nlmsghdr (rtnetlink's ifaddrmsg, ifinfomsg, ...), padded to 4 bytes.
    /// Returned zeroed, for the caller to fill in.
    /// </summary>
    public readonly Span<byte> WriteFamilyHeader(int length) =>
        _buffer.Append(NetlinkConstants.Align(length))[..length];

    public readonly void EndMessage(MessageStart start)
    {
        var length = _buffer.Length - start.Offset;
        NativeEndian.Write(_buffer.Slice(start.Offset, 4), (uint)length);
    }

    /// <summary>
    /// Starts a nested attribute. IPVS parses request nests with nla_parse_nested_deprecated, so NLA_F_NESTED is not
    /// required there; ipvsadm, moby and cloudflare all send nests without it, and so do we unless asked.
    /// </summary>
    public readonly NestStart BeginNest(ushort type, bool setNestedFlag = false)
    {
        var offset = _buffer.Length;
        var header = _buffer.Append(NetlinkConstants.AttributeHeaderLength);
        NativeEndian.Write(header[2..], setNestedFlag ? (ushort)(type | NetlinkConstants.AttributeNested) : type);
        return new NestStart(offset);
    }

    public readonly void EndNest(NestStart start)
    {
        var length = _buffer.Length - start.Offset;
        NativeEndian.Write(_buffer.Slice(start.Offset, 2), checked((ushort)length));
    }

    public readonly void WriteU8(ushort type, byte value) => Payload(type, 1)[0] = value;

    public readonly void WriteU16(ushort type, ushort value) => NativeEndian.Write(Payload(type, 2), value);

    public readonly void WriteU32(ushort type, uint value) => NativeEndian.Write(Payload(type, 4), value);

    public readonly void WriteU64(ushort type, ulong value) => NativeEndian.Write(Payload(type, 8), value);

    /// <summary>A 16-bit value in network byte order (ports).</summary>
    public readonly void WriteBigEndianU16(ushort type, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Payload(type, 2), value);

    /// <summary>A 32-bit value in network byte order (IPv4 masks and addresses).</summary>
    public readonly void WriteBigEndianU32(ushort type, uint value) => BinaryPrimitives.WriteUInt32BigEndian(Payload(type, 4), value);

    public readonly void WriteBytes(ushort type, ReadOnlySpan<byte> value) => value.CopyTo(Payload(type, value.Length));

    /// <summary>A NUL-terminated string (NLA_NUL_STRING / NLA_STRING).</summary>
    public readonly void WriteString(ushort type, string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        var payload = Payload(type, count + 1);
        Encoding.UTF8.GetBytes(value, payload);
        payload[count] = 0;
    }

    public readonly void WriteFlag(ushort type) => Payload(type, 0);

    private readonly Span<byte> Payload(ushort type, int length)
    {
        var total = NetlinkConstants.AttributeHeaderLength + length;
        var span = _buffer.Append(NetlinkConstants.Align(total));
        NativeEndian.Write(span, checked((ushort)total));
        NativeEndian.Write(span[2..], type);
        return span.Slice(NetlinkConstants.AttributeHeaderLength, length);
    }
}
