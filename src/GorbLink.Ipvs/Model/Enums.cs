namespace GorbLink.Ipvs;

/// <summary>Transport protocol of a virtual service (IPPROTO_* values).</summary>
public enum IpvsProtocol : ushort
{
    Tcp = 6,
    Udp = 17,
    Sctp = 132,
}

/// <summary>Forwarding method of a destination (IP_VS_CONN_F_FWD_MASK values of ip_vs.h).</summary>
public enum ForwardMethod : uint
{
    /// <summary>Masquerading (IP_VS_CONN_F_MASQ).</summary>
    Nat = 0,
    /// <summary>Local node (IP_VS_CONN_F_LOCALNODE); the kernel reports it for destinations on local addresses.</summary>
    Local = 1,
    Tunnel = 2,
    DirectRoute = 3,
    Bypass = 4,
}

/// <summary>Service flags (IP_VS_SVC_F_*). SCHED1..3 mean different things per scheduler.</summary>
[Flags]
public enum ServiceFlags : uint
{
    None = 0,
    Persistent = 0x1,
    /// <summary>Kernel-owned; present in every dump, never sent.</summary>
    Hashed = 0x2,
    OnePacket = 0x4,
    /// <summary>sh-fallback for sh, mh-fallback for mh.</summary>
    Sched1 = 0x8,
    /// <summary>sh-port for sh, mh-port for mh.</summary>
    Sched2 = 0x10,
    Sched3 = 0x20,
}

/// <summary>Tunnel encapsulation of a tunnel destination (IP_VS_CONN_F_TUNNEL_TYPE_*, kernel 5.2+).</summary>
public enum TunnelType : byte
{
    Ipip = 0,
    Gue = 1,
    Gre = 2,
}

/// <summary>Tunnel checksum flags (IP_VS_TUNNEL_ENCAP_FLAG_*, kernel 5.3+).</summary>
[Flags]
public enum TunnelFlags : ushort
{
    NoChecksum = 0,
    Checksum = 0x1,
    RemoteChecksum = 0x2,
}

/// <summary>Role of a connection-sync daemon (IP_VS_STATE_*).</summary>
public enum SyncDaemonState : uint
{
    Master = 1,
    Backup = 2,
}
