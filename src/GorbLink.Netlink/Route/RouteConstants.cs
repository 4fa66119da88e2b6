namespace GorbLink.Netlink.Route;

/// <summary>Values from include/uapi/linux/rtnetlink.h, if_addr.h and socket.h.</summary>
public static class RouteConstants
{
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_DELADDR = 21;
    public const ushort RTM_GETADDR = 22;

    public const byte AF_UNSPEC = 0;
    public const byte AF_INET = 2;
    public const byte AF_INET6 = 10;

    /// <summary>sizeof(struct ifaddrmsg): family u8, prefixlen u8, flags u8, scope u8, index u32.</summary>
    public const int AddressHeaderLength = 8;

    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_LABEL = 3;
    public const ushort IFA_BROADCAST = 4;
    public const ushort IFA_CACHEINFO = 6;
    /// <summary>u32 flags; supersedes ifa_flags, which only holds the low 8 bits.</summary>
    public const ushort IFA_FLAGS = 8;

    /// <summary>RT_SCOPE_UNIVERSE: a global address.</summary>
    public const byte ScopeUniverse = 0;
    public const byte ScopeLink = 253;
    public const byte ScopeHost = 254;
}

/// <summary>IFA_F_* address flags.</summary>
[Flags]
public enum InterfaceAddressFlags : uint
{
    None = 0,
    Secondary = 0x01,
    /// <summary>IPv6: skip duplicate address detection, so the address is usable at once.</summary>
    NoDad = 0x02,
    Optimistic = 0x04,
    DadFailed = 0x08,
    HomeAddress = 0x10,
    Deprecated = 0x20,
    /// <summary>IPv6: DAD has not finished; the address cannot be bound yet.</summary>
    Tentative = 0x40,
    Permanent = 0x80,
    ManageTempAddress = 0x100,
    NoPrefixRoute = 0x200,
}
