namespace GorbLink.Netlink;

/// <summary>Values from include/uapi/linux/netlink.h and genetlink.h.</summary>
public static class NetlinkConstants
{
    public const int AF_NETLINK = 16;
    public const int NETLINK_ROUTE = 0;
    public const int NETLINK_GENERIC = 16;

    /// <summary>sizeof(struct nlmsghdr).</summary>
    public const int MessageHeaderLength = 16;
    /// <summary>GENL_HDRLEN: sizeof(struct genlmsghdr).</summary>
    public const int GenericHeaderLength = 4;
    /// <summary>NLA_HDRLEN.</summary>
    public const int AttributeHeaderLength = 4;

    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLMSG_OVERRUN = 4;
    /// <summary>Types below this are control messages; the kernel ACKs them with 0 without dispatching (moby/ipvs#27).</summary>
    public const ushort NLMSG_MIN_TYPE = 0x10;

    /// <summary>NLA_F_NESTED.</summary>
    public const ushort AttributeNested = 0x8000;
    /// <summary>NLA_F_NET_BYTEORDER.</summary>
    public const ushort AttributeNetByteOrder = 0x4000;
    /// <summary>NLA_TYPE_MASK: the type without the two flag bits.</summary>
    public const ushort AttributeTypeMask = 0x3fff;

    public const int SOL_NETLINK = 270;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;

    /// <summary>NLMSGERR_ATTR_MSG: extended-ack message string.</summary>
    public const ushort NLMSGERR_ATTR_MSG = 1;
    /// <summary>NLMSGERR_ATTR_OFFS: offset of the offending attribute in the request.</summary>
    public const ushort NLMSGERR_ATTR_OFFS = 2;

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: 4-byte alignment.</summary>
    public static int Align(int length) => (length + 3) & ~3;
}

/// <summary>nlmsg_flags.</summary>
[Flags]
public enum NetlinkMessageFlags : ushort
{
    None = 0,
    Request = 0x1,
    Multi = 0x2,
    Ack = 0x4,
    Echo = 0x8,
    DumpInterrupted = 0x10,
    Root = 0x100,
    Match = 0x200,
    /// <summary>NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH.</summary>
    Dump = 0x300,
    /// <summary>On an NLMSG_ERROR: the request payload was not echoed (NETLINK_CAP_ACK).</summary>
    Capped = 0x100,
    /// <summary>On an NLMSG_ERROR: extended-ack TLVs follow.</summary>
    AckTlvs = 0x200,
    /// <summary>On a NEW request: replace an existing object (NLM_F_REPLACE).</summary>
    Replace = 0x100,
    /// <summary>On a NEW request: fail with EEXIST when the object exists (NLM_F_EXCL).</summary>
    Exclusive = 0x200,
    /// <summary>On a NEW request: create the object if it does not exist (NLM_F_CREATE).</summary>
    Create = 0x400,
    /// <summary>On a NEW request: add to the end of the list (NLM_F_APPEND).</summary>
    Append = 0x800,
}
