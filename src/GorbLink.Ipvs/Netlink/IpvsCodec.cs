using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using GorbLink.Netlink;
using static GorbLink.Ipvs.Netlink.IpvsWire;

namespace GorbLink.Ipvs.Netlink;

// Over 400 lines on purpose (the batch appender is in IpvsCodec.Operations.cs): every IPVS attribute is written and read here, the pack and unpack of one nest a screen
// apart, so that the codec is reviewed against ip_vs.h in one place (the golden-byte tests mirror it).

/// <summary>
/// Builds IPVS requests and parses replies. Requests leave sequence and ACK to <see cref="NetlinkConnection"/>.
/// Addresses are always sent as 16 bytes (union nf_inet_addr), as ipvsadm does; ports in network order.
/// </summary>
internal static partial class IpvsCodec
{
    public static byte[] Build(ushort familyId, byte command, NetlinkMessageFlags flags, BuildAttributes? attributes)
    {
        var buffer = new NetlinkBuffer(256);
        var writer = new NetlinkWriter(buffer);
        var message = writer.BeginMessage(familyId, flags | NetlinkMessageFlags.Request, 0);
        writer.WriteGenericHeader(command, GenlVersion);
        attributes?.Invoke(ref writer);
        writer.EndMessage(message);
        return buffer.ToArray();
    }

    public delegate void BuildAttributes(ref NetlinkWriter writer);

    public static byte[] NewService(ushort familyId, VirtualService service) =>
        Build(familyId, CMD_NEW_SERVICE, 0, (ref NetlinkWriter w) => WriteService(ref w, service.Key, service.Spec));

    public static byte[] SetService(ushort familyId, VirtualService service) =>
        Build(familyId, CMD_SET_SERVICE, 0, (ref NetlinkWriter w) => WriteService(ref w, service.Key, service.Spec));

    public static byte[] DelService(ushort familyId, VirtualServiceKey key) =>
        Build(familyId, CMD_DEL_SERVICE, 0, (ref NetlinkWriter w) => WriteService(ref w, key, null));

    public static byte[] GetService(ushort familyId, VirtualServiceKey key) =>
        Build(familyId, CMD_GET_SERVICE, 0, (ref NetlinkWriter w) => WriteService(ref w, key, null));

    public static byte[] DumpServices(ushort familyId) =>
        Build(familyId, CMD_GET_SERVICE, NetlinkMessageFlags.Dump, null);

    public static byte[] NewDest(ushort familyId, VirtualServiceKey service, Destination destination) =>
        Build(familyId, CMD_NEW_DEST, 0, (ref NetlinkWriter w) =>
        {
            WriteService(ref w, service, null);
            WriteDestination(ref w, destination.Key, destination.Spec);
        });

    public static byte[] SetDest(ushort familyId, VirtualServiceKey service, Destination destination) =>
        Build(familyId, CMD_SET_DEST, 0, (ref NetlinkWriter w) =>
        {
            WriteService(ref w, service, null);
            WriteDestination(ref w, destination.Key, destination.Spec);
        });

    public static byte[] DelDest(ushort familyId, VirtualServiceKey service, DestinationKey destination) =>
        Build(familyId, CMD_DEL_DEST, 0, (ref NetlinkWriter w) =>
        {
            WriteService(ref w, service, null);
            WriteDestination(ref w, destination, null);
        });

    /// <summary>GET_DEST has only a dumpit; the kernel reads the SERVICE nest from the top level of the dump request.</summary>
    public static byte[] DumpDests(ushort familyId, VirtualServiceKey service) =>
        Build(familyId, CMD_GET_DEST, NetlinkMessageFlags.Dump, (ref NetlinkWriter w) => WriteService(ref w, service, null));

    public static byte[] GetInfo(ushort familyId) => Build(familyId, CMD_GET_INFO, 0, null);

    public static byte[] GetConfig(ushort familyId) => Build(familyId, CMD_GET_CONFIG, 0, null);

    /// <summary>SET_CONFIG: an absent or zero timeout leaves that timeout unchanged.</summary>
    public static byte[] SetConfig(ushort familyId, IpvsTimeouts timeouts) =>
        Build(familyId, CMD_SET_CONFIG, 0, (ref NetlinkWriter w) =>
        {
            if (timeouts.Tcp != 0) w.WriteU32(CMD_ATTR_TIMEOUT_TCP, timeouts.Tcp);
            if (timeouts.TcpFin != 0) w.WriteU32(CMD_ATTR_TIMEOUT_TCP_FIN, timeouts.TcpFin);
            if (timeouts.Udp != 0) w.WriteU32(CMD_ATTR_TIMEOUT_UDP, timeouts.Udp);
        });

    public static byte[] Zero(ushort familyId, VirtualServiceKey? service) =>
        Build(familyId, CMD_ZERO, 0, service is { } key ? (ref NetlinkWriter w) => WriteService(ref w, key, null) : null);

    public static byte[] Flush(ushort familyId) => Build(familyId, CMD_FLUSH, 0, null);

    public static byte[] NewDaemon(ushort familyId, SyncDaemon daemon) =>
        Build(familyId, CMD_NEW_DAEMON, 0, (ref NetlinkWriter w) =>
        {
            var nest = w.BeginNest(CMD_ATTR_DAEMON);
            w.WriteU32(DAEMON_ATTR_STATE, (uint)daemon.State);
            w.WriteString(DAEMON_ATTR_MCAST_IFN, daemon.Interface);
            w.WriteU32(DAEMON_ATTR_SYNC_ID, daemon.SyncId);
            if (daemon.MaxLength is { } maxLength) w.WriteU16(DAEMON_ATTR_SYNC_MAXLEN, maxLength);
            if (daemon.MulticastGroup is { } group)
            {
                if (group.AddressFamily == AddressFamily.InterNetwork) w.WriteBytes(DAEMON_ATTR_MCAST_GROUP, group.GetAddressBytes());
                else w.WriteBytes(DAEMON_ATTR_MCAST_GROUP6, group.GetAddressBytes());
            }
            if (daemon.MulticastPort is { } port) w.WriteU16(DAEMON_ATTR_MCAST_PORT, port);
            if (daemon.MulticastTtl is { } ttl) w.WriteU8(DAEMON_ATTR_MCAST_TTL, ttl);
            w.EndNest(nest);
        });

    public static byte[] DelDaemon(ushort familyId, SyncDaemonState state) =>
        Build(familyId, CMD_DEL_DAEMON, 0, (ref NetlinkWriter w) =>
        {
            var nest = w.BeginNest(CMD_ATTR_DAEMON);
            w.WriteU32(DAEMON_ATTR_STATE, (uint)state);
            w.EndNest(nest);
        });

    /// <summary>GET_DAEMON has only a dumpit.</summary>
    public static byte[] DumpDaemons(ushort familyId) => Build(familyId, CMD_GET_DAEMON, NetlinkMessageFlags.Dump, null);

    /// <summary>
    /// The SERVICE nest. Identity is AF plus FWMARK, or PROTOCOL + ADDR + PORT. NEW/SET also need SCHED_NAME,
    /// FLAGS, TIMEOUT and NETMASK, or the kernel answers EINVAL.
    /// </summary>
    public static void WriteService(ref NetlinkWriter writer, VirtualServiceKey key, VirtualServiceSpec? spec)
    {
        var nest = writer.BeginNest(CMD_ATTR_SERVICE);
        writer.WriteU16(SVC_ATTR_AF, Family(key.Family));
        if (key.IsFirewallMark)
        {
            writer.WriteU32(SVC_ATTR_FWMARK, key.FirewallMark);
        }
        else
        {
            writer.WriteU16(SVC_ATTR_PROTOCOL, (ushort)key.Protocol);
            WriteAddress(ref writer, SVC_ATTR_ADDR, key.Address!);
            writer.WriteBigEndianU16(SVC_ATTR_PORT, key.Port);
        }
        if (spec is not null)
        {
            writer.WriteString(SVC_ATTR_SCHED_NAME, spec.Scheduler);
            if (spec.PersistenceEngine is { Length: > 0 } engine) writer.WriteString(SVC_ATTR_PE_NAME, engine);
            Span<byte> flags = stackalloc byte[8];
            // struct ip_vs_flags { flags; mask }: the kernel takes (old & ~mask) | (flags & mask) and keeps HASHED itself.
            NativeEndian.Write(flags, (uint)EffectiveFlags(spec));
            NativeEndian.Write(flags[4..], uint.MaxValue);
            writer.WriteBytes(SVC_ATTR_FLAGS, flags);
            writer.WriteU32(SVC_ATTR_TIMEOUT, spec.PersistenceTimeout);
            WriteNetmask(ref writer, key.Family, spec.NetmaskPrefixLength);
        }
        writer.EndNest(nest);
    }

    /// <summary>The flags as sent: Persistent follows the timeout; Hashed is the kernel's.</summary>
    public static ServiceFlags EffectiveFlags(VirtualServiceSpec spec)
    {
        var flags = spec.Flags & ~(ServiceFlags.Hashed | ServiceFlags.Persistent);
        return spec.PersistenceTimeout > 0 ? flags | ServiceFlags.Persistent : flags;
    }

    /// <summary>
    /// IPv4: the mask itself, in network byte order (/24 = FF FF FF 00). IPv6: the prefix length 1..128 as a
    /// host-order u32. That is what ipvsadm sends and what the kernel returns.
    /// </summary>
    private static void WriteNetmask(ref NetlinkWriter writer, AddressFamily family, int? prefixLength)
    {
        if (family == AddressFamily.InterNetwork)
        {
            var prefix = prefixLength ?? 32;
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            writer.WriteBigEndianU32(SVC_ATTR_NETMASK, mask);
        }
        else
        {
            writer.WriteU32(SVC_ATTR_NETMASK, (uint)(prefixLength ?? 128));
        }
    }

    /// <summary>
    /// The DEST nest. ADDR_FAMILY is always sent: without it the kernel assumes the service's family and would
    /// truncate an IPv6 destination of an IPv4 tunnel service (the moby/ipvs bug). Tunnel attributes go only
    /// with tunnel forwarding, so kernels before 5.2 are never sent attributes they lack.
    /// </summary>
    public static void WriteDestination(ref NetlinkWriter writer, DestinationKey key, DestinationSpec? spec)
    {
        var nest = writer.BeginNest(CMD_ATTR_DEST);
        writer.WriteU16(DEST_ATTR_ADDR_FAMILY, Family(key.Family));
        WriteAddress(ref writer, DEST_ATTR_ADDR, key.Address);
        writer.WriteBigEndianU16(DEST_ATTR_PORT, key.Port);
        if (spec is not null)
        {
            writer.WriteU32(DEST_ATTR_FWD_METHOD, (uint)spec.Forward & FwdMask);
            writer.WriteU32(DEST_ATTR_WEIGHT, (uint)spec.Weight);
            writer.WriteU32(DEST_ATTR_U_THRESH, spec.UpperThreshold);
            writer.WriteU32(DEST_ATTR_L_THRESH, spec.LowerThreshold);
            if (spec.Forward == ForwardMethod.Tunnel)
            {
                writer.WriteU8(DEST_ATTR_TUN_TYPE, (byte)spec.TunnelType);
                writer.WriteBigEndianU16(DEST_ATTR_TUN_PORT, spec.TunnelPort);
                writer.WriteU16(DEST_ATTR_TUN_FLAGS, (ushort)spec.TunnelFlags);
            }
        }
        writer.EndNest(nest);
    }

    private static void WriteAddress(ref NetlinkWriter writer, ushort type, IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out _)) throw new ArgumentException($"cannot encode address {address}");
        writer.WriteBytes(type, bytes);
    }

    private static ushort Family(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        _ => throw new ArgumentException($"address family {family} is neither inet nor inet6"),
    };

    private static AddressFamily Family(ushort af) => af switch
    {
        AF_INET => AddressFamily.InterNetwork,
        AF_INET6 => AddressFamily.InterNetworkV6,
        _ => throw new NetlinkProtocolException($"unknown address family {af}"),
    };

    /// <summary>Top-level attributes of a generic-netlink reply payload.</summary>
    public static ReadOnlySpan<byte> Attributes(ReadOnlySpan<byte> payload) =>
        payload.Length >= NetlinkConstants.GenericHeaderLength
            ? payload[NetlinkConstants.GenericHeaderLength..]
            : throw new NetlinkProtocolException("reply without a generic header");

    /// <summary>Parses a NEW_SERVICE reply message (from GET_SERVICE doit or dump).</summary>
    public static VirtualServiceStatus ParseServiceMessage(ReadOnlySpan<byte> payload)
    {
        var top = new NetlinkAttributeReader(Attributes(payload));
        while (top.TryRead(out var type, out var value))
        {
            if (type == CMD_ATTR_SERVICE) return ParseService(value);
        }
        throw new NetlinkProtocolException("service reply without a SERVICE attribute");
    }

    public static VirtualServiceStatus ParseService(ReadOnlySpan<byte> nest)
    {
        ushort af = 0, protocol = 0, port = 0;
        uint fwmark = 0, flags = 0, timeout = 0, netmask = 0;
        ReadOnlySpan<byte> address = default;
        string scheduler = "";
        string? engine = null;
        // Kernels since 4.1 send both STATS and STATS64; only the one used is parsed (one object fewer per entry).
        ReadOnlySpan<byte> stats = default, stats64 = default;
        bool hasStats = false, hasStats64 = false;
        var reader = new NetlinkAttributeReader(nest);
        while (reader.TryRead(out var type, out var value))
        {
            switch (type)
            {
                case SVC_ATTR_AF: af = NetlinkAttribute.U16(value, "IPVS_SVC_ATTR_AF"); break;
                case SVC_ATTR_PROTOCOL: protocol = NetlinkAttribute.U16(value, "IPVS_SVC_ATTR_PROTOCOL"); break;
                case SVC_ATTR_ADDR: address = value; break;
                case SVC_ATTR_PORT: port = NetlinkAttribute.BigEndianU16(value, "IPVS_SVC_ATTR_PORT"); break;
                case SVC_ATTR_FWMARK: fwmark = NetlinkAttribute.U32(value, "IPVS_SVC_ATTR_FWMARK"); break;
                case SVC_ATTR_SCHED_NAME: scheduler = NetlinkAttribute.String(value); break;
                case SVC_ATTR_FLAGS: flags = NetlinkAttribute.U32(value, "IPVS_SVC_ATTR_FLAGS"); break;
                case SVC_ATTR_TIMEOUT: timeout = NetlinkAttribute.U32(value, "IPVS_SVC_ATTR_TIMEOUT"); break;
                case SVC_ATTR_NETMASK: netmask = NetlinkAttribute.U32(value, "IPVS_SVC_ATTR_NETMASK"); break;
                case SVC_ATTR_STATS: stats = value; hasStats = true; break;
                case SVC_ATTR_PE_NAME: engine = NetlinkAttribute.String(value); break;
                case SVC_ATTR_STATS64: stats64 = value; hasStats64 = true; break;
            }
        }
        var family = Family(af);
        var key = fwmark != 0
            ? VirtualServiceKey.ForFirewallMark(family, fwmark)
            : VirtualServiceKey.For((IpvsProtocol)protocol, ParseAddress(address, family, "IPVS_SVC_ATTR_ADDR"), port);
        var spec = new VirtualServiceSpec
        {
            Scheduler = scheduler,
            // Persistent is carried by PersistenceTimeout in the model; Hashed is the kernel's own.
            Flags = (ServiceFlags)flags & ~(ServiceFlags.Hashed | ServiceFlags.Persistent),
            PersistenceTimeout = ((ServiceFlags)flags).HasFlag(ServiceFlags.Persistent) ? timeout : 0,
            NetmaskPrefixLength = ParseNetmask(family, netmask),
            PersistenceEngine = string.IsNullOrEmpty(engine) ? null : engine,
        };
        return new VirtualServiceStatus(new VirtualService(key, spec), ChosenStats(stats, hasStats, stats64, hasStats64));
    }

    /// <summary>IPv4 masks arrive as network-order bytes read into a host u32; IPv6 as a prefix length.</summary>
    private static int? ParseNetmask(AddressFamily family, uint raw)
    {
        if (family == AddressFamily.InterNetworkV6) return raw is 0 or 128 ? null : (int)raw;
        var mask = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
        var prefix = System.Numerics.BitOperations.PopCount(mask);
        return prefix == 32 || mask == 0 && raw == 0 ? null : prefix;
    }

    public static DestinationStatus ParseDestinationMessage(ReadOnlySpan<byte> payload, AddressFamily serviceFamily)
    {
        var top = new NetlinkAttributeReader(Attributes(payload));
        while (top.TryRead(out var type, out var value))
        {
            if (type == CMD_ATTR_DEST) return ParseDestination(value, serviceFamily);
        }
        throw new NetlinkProtocolException("destination reply without a DEST attribute");
    }

    public static DestinationStatus ParseDestination(ReadOnlySpan<byte> nest, AddressFamily serviceFamily)
    {
        ReadOnlySpan<byte> address = default;
        ushort port = 0, af = 0, tunnelPort = 0, tunnelFlags = 0;
        uint forward = 0, weight = 0, upper = 0, lower = 0, active = 0, inactive = 0, persistent = 0;
        byte tunnelType = 0;
        // Kernels since 4.1 send both STATS and STATS64; only the one used is parsed (one object fewer per entry).
        ReadOnlySpan<byte> stats = default, stats64 = default;
        bool hasStats = false, hasStats64 = false;
        var reader = new NetlinkAttributeReader(nest);
        while (reader.TryRead(out var type, out var value))
        {
            switch (type)
            {
                case DEST_ATTR_ADDR: address = value; break;
                case DEST_ATTR_PORT: port = NetlinkAttribute.BigEndianU16(value, "IPVS_DEST_ATTR_PORT"); break;
                case DEST_ATTR_FWD_METHOD: forward = NetlinkAttribute.U32(value, "IPVS_DEST_ATTR_FWD_METHOD") & FwdMask; break;
                case DEST_ATTR_WEIGHT: weight = NetlinkAttribute.U32(value, "IPVS_DEST_ATTR_WEIGHT"); break;
                case DEST_ATTR_U_THRESH: upper = NetlinkAttribute.U32(value, "IPVS_DEST_ATTR_U_THRESH"); break;
                case DEST_ATTR_L_THRESH: lower = NetlinkAttribute.U32(value, "IPVS_DEST_ATTR_L_THRESH"); break;
                case DEST_ATTR_ACTIVE_CONNS: active = NetlinkAttribute.U32(value, "IPVS_DEST_ATTR_ACTIVE_CONNS"); break;
                case DEST_ATTR_INACT_CONNS: inactive = NetlinkAttribute.U32(value, "IPVS_DEST_ATTR_INACT_CONNS"); break;
                case DEST_ATTR_PERSIST_CONNS: persistent = NetlinkAttribute.U32(value, "IPVS_DEST_ATTR_PERSIST_CONNS"); break;
                case DEST_ATTR_STATS: stats = value; hasStats = true; break;
                case DEST_ATTR_ADDR_FAMILY: af = NetlinkAttribute.U16(value, "IPVS_DEST_ATTR_ADDR_FAMILY"); break;
                case DEST_ATTR_STATS64: stats64 = value; hasStats64 = true; break;
                case DEST_ATTR_TUN_TYPE: tunnelType = NetlinkAttribute.U8(value, "IPVS_DEST_ATTR_TUN_TYPE"); break;
                case DEST_ATTR_TUN_PORT: tunnelPort = NetlinkAttribute.BigEndianU16(value, "IPVS_DEST_ATTR_TUN_PORT"); break;
                case DEST_ATTR_TUN_FLAGS: tunnelFlags = NetlinkAttribute.U16(value, "IPVS_DEST_ATTR_TUN_FLAGS"); break;
            }
        }
        // Kernels before 3.18 have no ADDR_FAMILY: the destination then has the service's family.
        var family = af == 0 ? serviceFamily : Family(af);
        var key = new DestinationKey(ParseAddress(address, family, "IPVS_DEST_ATTR_ADDR"), port);
        var spec = new DestinationSpec
        {
            Forward = (ForwardMethod)forward,
            Weight = (int)weight,
            UpperThreshold = upper,
            LowerThreshold = lower,
            TunnelType = (TunnelType)tunnelType,
            TunnelPort = tunnelPort,
            TunnelFlags = (TunnelFlags)tunnelFlags,
        };
        return new DestinationStatus(new Destination(key, spec), active, inactive, persistent, ChosenStats(stats, hasStats, stats64, hasStats64));
    }

    private static IpvsStats ChosenStats(ReadOnlySpan<byte> stats, bool hasStats, ReadOnlySpan<byte> stats64, bool hasStats64) =>
        hasStats64 ? ParseStats(stats64) : hasStats ? ParseStats(stats) : IpvsStats.Empty;

    /// <summary>
    /// STATS (32-bit counters except bytes) or STATS64 (all u64): each value is read at the size it comes in.
    /// STATS_ATTR_PAD (11) and unknown ids are skipped.
    /// </summary>
    public static IpvsStats ParseStats(ReadOnlySpan<byte> nest)
    {
        Span<ulong> values = stackalloc ulong[11];
        var reader = new NetlinkAttributeReader(nest);
        while (reader.TryRead(out var type, out var value))
        {
            if (type is < STATS_ATTR_CONNS or > STATS_ATTR_OUTBPS) continue;
            values[type] = value.Length switch
            {
                8 => NativeEndian.ReadUInt64(value),
                4 => NativeEndian.ReadUInt32(value),
                _ => throw new NetlinkProtocolException($"stats attribute {type} has {value.Length} bytes"),
            };
        }
        return new IpvsStats
        {
            Connections = values[STATS_ATTR_CONNS],
            InPackets = values[STATS_ATTR_INPKTS],
            OutPackets = values[STATS_ATTR_OUTPKTS],
            InBytes = values[STATS_ATTR_INBYTES],
            OutBytes = values[STATS_ATTR_OUTBYTES],
            ConnectionsPerSecond = values[STATS_ATTR_CPS],
            InPacketsPerSecond = values[STATS_ATTR_INPPS],
            OutPacketsPerSecond = values[STATS_ATTR_OUTPPS],
            InBytesPerSecond = values[STATS_ATTR_INBPS],
            OutBytesPerSecond = values[STATS_ATTR_OUTBPS],
        };
    }

    public static IpvsInfo ParseInfo(ReadOnlySpan<byte> payload)
    {
        uint version = 0, size = 0;
        var reader = new NetlinkAttributeReader(Attributes(payload));
        while (reader.TryRead(out var type, out var value))
        {
            if (type == INFO_ATTR_VERSION) version = NetlinkAttribute.U32(value, "IPVS_INFO_ATTR_VERSION");
            else if (type == INFO_ATTR_CONN_TAB_SIZE) size = NetlinkAttribute.U32(value, "IPVS_INFO_ATTR_CONN_TAB_SIZE");
        }
        return new IpvsInfo(version, size);
    }

    public static IpvsTimeouts ParseConfig(ReadOnlySpan<byte> payload)
    {
        uint tcp = 0, fin = 0, udp = 0;
        var reader = new NetlinkAttributeReader(Attributes(payload));
        while (reader.TryRead(out var type, out var value))
        {
            switch (type)
            {
                case CMD_ATTR_TIMEOUT_TCP: tcp = NetlinkAttribute.U32(value, "IPVS_CMD_ATTR_TIMEOUT_TCP"); break;
                case CMD_ATTR_TIMEOUT_TCP_FIN: fin = NetlinkAttribute.U32(value, "IPVS_CMD_ATTR_TIMEOUT_TCP_FIN"); break;
                case CMD_ATTR_TIMEOUT_UDP: udp = NetlinkAttribute.U32(value, "IPVS_CMD_ATTR_TIMEOUT_UDP"); break;
            }
        }
        return new IpvsTimeouts(tcp, fin, udp);
    }

    public static SyncDaemon? ParseDaemonMessage(ReadOnlySpan<byte> payload)
    {
        var top = new NetlinkAttributeReader(Attributes(payload));
        while (top.TryRead(out var type, out var value))
        {
            if (type != CMD_ATTR_DAEMON) continue;
            uint state = 0, syncId = 0;
            string ifname = "";
            ushort? maxLength = null, mcastPort = null;
            byte? ttl = null;
            IPAddress? group = null;
            var reader = new NetlinkAttributeReader(value);
            while (reader.TryRead(out var t, out var v))
            {
                switch (t)
                {
                    case DAEMON_ATTR_STATE: state = NetlinkAttribute.U32(v, "IPVS_DAEMON_ATTR_STATE"); break;
                    case DAEMON_ATTR_MCAST_IFN: ifname = NetlinkAttribute.String(v); break;
                    case DAEMON_ATTR_SYNC_ID: syncId = NetlinkAttribute.U32(v, "IPVS_DAEMON_ATTR_SYNC_ID"); break;
                    case DAEMON_ATTR_SYNC_MAXLEN: maxLength = NetlinkAttribute.U16(v, "IPVS_DAEMON_ATTR_SYNC_MAXLEN"); break;
                    case DAEMON_ATTR_MCAST_GROUP when v.Length >= 4: group = new IPAddress(v[..4]); break;
                    case DAEMON_ATTR_MCAST_GROUP6 when v.Length >= 16: group = new IPAddress(v[..16]); break;
                    case DAEMON_ATTR_MCAST_PORT: mcastPort = NetlinkAttribute.U16(v, "IPVS_DAEMON_ATTR_MCAST_PORT"); break;
                    case DAEMON_ATTR_MCAST_TTL: ttl = NetlinkAttribute.U8(v, "IPVS_DAEMON_ATTR_MCAST_TTL"); break;
                }
            }
            return new SyncDaemon
            {
                State = (SyncDaemonState)state, Interface = ifname, SyncId = syncId, MaxLength = maxLength,
                MulticastGroup = group, MulticastPort = mcastPort, MulticastTtl = ttl,
            };
        }
        return null;
    }

    /// <summary>Replies carry 16 bytes; an IPv4 address is in the first 4.</summary>
    private static IPAddress ParseAddress(ReadOnlySpan<byte> bytes, AddressFamily family, string name)
    {
        var size = family == AddressFamily.InterNetwork ? 4 : 16;
        if (bytes.Length < size) throw new NetlinkProtocolException($"attribute {name} has {bytes.Length} bytes, expected {size}");
        return new IPAddress(bytes[..size]);
    }
}
