using System.Net;
using System.Net.Sockets;

namespace GorbLink.Netlink.Route;

/// <summary>
/// rtnetlink address messages (RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR), laid out as iproute2's `ip addr` sends them:
/// nlmsghdr, struct ifaddrmsg, then IFA_LOCAL and IFA_ADDRESS both carrying the address (no peer).
/// Sequence numbers and NLM_F_ACK are set when the message is sent.
/// </summary>
public static class AddressMessages
{
    /// <summary>
    /// RTM_NEWADDR with NLM_F_CREATE | NLM_F_EXCL: the kernel answers EEXIST when the address is already on the
    /// interface, so an address someone else put there is never taken over. IPv6 addresses get IFA_F_NODAD so they
    /// are usable at once instead of tentative for a second.
    /// </summary>
    public static byte[] BuildAdd(InterfaceAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var flags = address.Flags;
        if (address.Family == AddressFamily.InterNetworkV6) flags |= InterfaceAddressFlags.NoDad;
        return Build(RouteConstants.RTM_NEWADDR,
            NetlinkMessageFlags.Request | NetlinkMessageFlags.Create | NetlinkMessageFlags.Exclusive, address, flags);
    }

    /// <summary>RTM_DELADDR of exactly this address and prefix length on this interface; EADDRNOTAVAIL when absent.</summary>
    public static byte[] BuildDelete(InterfaceAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Build(RouteConstants.RTM_DELADDR, NetlinkMessageFlags.Request, address, InterfaceAddressFlags.None);
    }

    /// <summary>RTM_GETADDR dump of every address of one family (<see cref="RouteConstants.AF_UNSPEC"/>: all) on every interface.</summary>
    public static byte[] BuildDump(byte family = RouteConstants.AF_UNSPEC)
    {
        var buffer = new NetlinkBuffer(64);
        var writer = new NetlinkWriter(buffer);
        var message = writer.BeginMessage(RouteConstants.RTM_GETADDR, NetlinkMessageFlags.Request | NetlinkMessageFlags.Dump, 0);
        writer.WriteFamilyHeader(RouteConstants.AddressHeaderLength)[0] = family;
        writer.EndMessage(message);
        return buffer.ToArray();
    }

    /// <summary>Parses one RTM_NEWADDR message (a dump reply); null for other message types or families.</summary>
    public static InterfaceAddress? Parse(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.Type != RouteConstants.RTM_NEWADDR) return null;
        if (payload.Length < RouteConstants.AddressHeaderLength)
            throw new NetlinkProtocolException($"RTM_NEWADDR has {payload.Length} bytes, less than struct ifaddrmsg");
        var family = payload[0];
        if (family is not (RouteConstants.AF_INET or RouteConstants.AF_INET6)) return null;
        var prefixLength = payload[1];
        var flags = (InterfaceAddressFlags)payload[2];
        var scope = payload[3];
        var index = (int)NativeEndian.ReadUInt32(payload[4..]);
        var size = family == RouteConstants.AF_INET ? 4 : 16;

        IPAddress? local = null, address = null;
        string? label = null;
        var attributes = new NetlinkAttributeReader(payload[NetlinkConstants.Align(RouteConstants.AddressHeaderLength)..]);
        while (attributes.TryRead(out var type, out var value))
        {
            switch (type)
            {
                case RouteConstants.IFA_LOCAL: local = ReadAddress(value, size, "IFA_LOCAL"); break;
                case RouteConstants.IFA_ADDRESS: address = ReadAddress(value, size, "IFA_ADDRESS"); break;
                case RouteConstants.IFA_LABEL: label = NetlinkAttribute.String(value); break;
                case RouteConstants.IFA_FLAGS: flags = (InterfaceAddressFlags)NetlinkAttribute.U32(value, "IFA_FLAGS"); break;
            }
        }
        // IPv4 sends the local address in IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point links); IPv6 sends
        // IFA_ADDRESS alone unless there is a peer.
        var own = local ?? address ?? throw new NetlinkProtocolException($"RTM_NEWADDR for interface {index} without an address");
        if (index <= 0 || prefixLength > size * 8)
            throw new NetlinkProtocolException($"RTM_NEWADDR {own}/{prefixLength} on interface {index} is impossible");
        return new InterfaceAddress(index, own, prefixLength, mapToIPv4: false) { Scope = scope, Flags = flags, Label = label };
    }

    private static byte[] Build(ushort type, NetlinkMessageFlags messageFlags, InterfaceAddress address, InterfaceAddressFlags flags)
    {
        var buffer = new NetlinkBuffer(64);
        var writer = new NetlinkWriter(buffer);
        var message = writer.BeginMessage(type, messageFlags, 0);
        var header = writer.WriteFamilyHeader(RouteConstants.AddressHeaderLength);
        header[0] = address.Family == AddressFamily.InterNetwork ? RouteConstants.AF_INET : RouteConstants.AF_INET6;
        header[1] = (byte)address.PrefixLength;
        header[2] = (byte)((uint)flags & 0xff);
        header[3] = address.Scope;
        NativeEndian.Write(header[4..], (uint)address.InterfaceIndex);
        Span<byte> bytes = stackalloc byte[16];
        address.Address.TryWriteBytes(bytes, out var written);
        writer.WriteBytes(RouteConstants.IFA_LOCAL, bytes[..written]);
        writer.WriteBytes(RouteConstants.IFA_ADDRESS, bytes[..written]);
        // Flags above the first 8 bits only fit in IFA_FLAGS (kernels since 3.14).
        if ((uint)flags > 0xff) writer.WriteU32(RouteConstants.IFA_FLAGS, (uint)flags);
        writer.EndMessage(message);
        return buffer.ToArray();
    }

    private static IPAddress ReadAddress(ReadOnlySpan<byte> value, int size, string name)
    {
        if (value.Length != size) throw new NetlinkProtocolException($"attribute {name} has {value.Length} bytes, expected {size}");
        return new IPAddress(value);
    }
}
