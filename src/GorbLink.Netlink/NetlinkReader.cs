using System.Buffers.Binary;
using System.Text;

namespace GorbLink.Netlink;

/// <summary>Walks the messages of one received datagram. A message whose length is impossible ends the walk with an exception.</summary>
public ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram) => _rest = datagram;

    public bool TryRead(out NetlinkMessageHeader header, out ReadOnlySpan<byte> payload)
    {
        if (_rest.Length < NetlinkConstants.MessageHeaderLength)
        {
            header = default;
            payload = default;
            return false;
        }
        header = NetlinkMessageHeader.Read(_rest);
        if (header.Length < NetlinkConstants.MessageHeaderLength || header.Length > _rest.Length)
            throw new NetlinkProtocolException($"message length {header.Length} does not fit the {_rest.Length} bytes received");
        payload = _rest[NetlinkConstants.MessageHeaderLength..(int)header.Length];
        var advance = Math.Min(_rest.Length, NetlinkConstants.Align((int)header.Length));
        _rest = _rest[advance..];
        return true;
    }
}

/// <summary>
/// Walks a run of attributes. The type it reports has NLA_F_NESTED and NLA_F_NET_BYTEORDER masked off;
/// callers skip types they do not know, so attributes added by newer kernels are never fatal.
/// </summary>
public ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes) => _rest = attributes;

    public bool TryRead(out ushort type, out ReadOnlySpan<byte> payload)
    {
        if (_rest.Length < NetlinkConstants.AttributeHeaderLength)
        {
            type = 0;
            payload = default;
            return false;
        }
        var length = NativeEndian.ReadUInt16(_rest);
        if (length < NetlinkConstants.AttributeHeaderLength || length > _rest.Length)
            throw new NetlinkProtocolException($"attribute length {length} does not fit the {_rest.Length} bytes left");
        type = (ushort)(NativeEndian.ReadUInt16(_rest[2..]) & NetlinkConstants.AttributeTypeMask);
        payload = _rest[NetlinkConstants.AttributeHeaderLength..length];
        _rest = _rest[Math.Min(_rest.Length, NetlinkConstants.Align(length))..];
        return true;
    }
}

/// <summary>Typed views of attribute payloads; a payload of the wrong size is a protocol error naming the attribute.</summary>
public static class NetlinkAttribute
{
    public static byte U8(ReadOnlySpan<byte> payload, string name) => Exact(payload, 1, name)[0];

    public static ushort U16(ReadOnlySpan<byte> payload, string name) => NativeEndian.ReadUInt16(Exact(payload, 2, name));

    public static uint U32(ReadOnlySpan<byte> payload, string name) => NativeEndian.ReadUInt32(Exact(payload, 4, name));

    public static ulong U64(ReadOnlySpan<byte> payload, string name) => NativeEndian.ReadUInt64(Exact(payload, 8, name));

    public static ushort BigEndianU16(ReadOnlySpan<byte> payload, string name) => BinaryPrimitives.ReadUInt16BigEndian(Exact(payload, 2, name));

    /// <summary>A string attribute, up to its first NUL.</summary>
    public static string String(ReadOnlySpan<byte> payload)
    {
        var end = payload.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? payload : payload[..end]);
    }

    private static ReadOnlySpan<byte> Exact(ReadOnlySpan<byte> payload, int size, string name)
    {
        if (payload.Length < size)
            throw new NetlinkProtocolException($"attribute {name} has {payload.Length} bytes, expected {size}");
        return payload[..size];
    }
}
