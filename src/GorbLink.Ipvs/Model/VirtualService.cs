namespace GorbLink.Ipvs;

/// <summary>What a virtual service should be: scheduler, flags, persistence.</summary>
public sealed record VirtualServiceSpec
{
    public string Scheduler { get; init; } = IpvsNames.DefaultScheduler;
    /// <summary>Settable flags; <see cref="ServiceFlags.Persistent"/> follows <see cref="PersistenceTimeout"/> and <see cref="ServiceFlags.Hashed"/> is kernel-owned.</summary>
    public ServiceFlags Flags { get; init; }
    /// <summary>Persistence timeout in seconds; 0 means not persistent.</summary>
    public uint PersistenceTimeout { get; init; }
    /// <summary>Persistence granularity as a prefix length: 0..32 for IPv4, 1..128 for IPv6. Null means host (/32 or /128).</summary>
    public int? NetmaskPrefixLength { get; init; }
    /// <summary>Persistence engine name (e.g. "sip"); null for none.</summary>
    public string? PersistenceEngine { get; init; }

    public static VirtualServiceSpec Default { get; } = new();
}

/// <summary>A virtual service: identity plus spec.</summary>
public sealed record VirtualService(VirtualServiceKey Key, VirtualServiceSpec Spec)
{
    public override string ToString() => $"service {Key}";
}

/// <summary>A virtual service as the kernel reports it: spec plus observed counters.</summary>
public sealed record VirtualServiceStatus(VirtualService Service, IpvsStats Stats)
{
    public VirtualServiceKey Key => Service.Key;
}

/// <summary>A virtual service with its destinations, as read from the kernel.</summary>
public sealed record VirtualServiceTable(VirtualServiceStatus Service, IReadOnlyList<DestinationStatus> Destinations)
{
    public VirtualServiceKey Key => Service.Key;
}

/// <summary>GET_INFO: IPVS version and connection table size.</summary>
public sealed record IpvsInfo(uint VersionCode, uint ConnectionTableSize)
{
    public string Version => $"{(VersionCode >> 16) & 0xff}.{(VersionCode >> 8) & 0xff}.{VersionCode & 0xff}";
}

/// <summary>Connection timeouts in seconds. On set, 0 leaves a value unchanged.</summary>
public sealed record IpvsTimeouts(uint Tcp, uint TcpFin, uint Udp);

/// <summary>A connection-sync daemon.</summary>
public sealed record SyncDaemon
{
    public required SyncDaemonState State { get; init; }
    public required string Interface { get; init; }
    public uint SyncId { get; init; }
    public ushort? MaxLength { get; init; }
    public System.Net.IPAddress? MulticastGroup { get; init; }
    public ushort? MulticastPort { get; init; }
    public byte? MulticastTtl { get; init; }
}
