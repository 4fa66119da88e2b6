using System.Net;
using System.Net.Sockets;

namespace GorbLink.Ipvs;

/// <summary>Identity of a destination (real server) within its virtual service.</summary>
public readonly record struct DestinationKey
{
    public DestinationKey(IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Address = address;
        Port = port;
    }

    public IPAddress Address { get; }
    public ushort Port { get; }
    public AddressFamily Family => Address.AddressFamily;

    public override string ToString() => IpvsNames.Endpoint(Address, Port);
}

/// <summary>What a destination should be: forwarding, weight, thresholds, tunnel.</summary>
public sealed record DestinationSpec
{
    public ForwardMethod Forward { get; init; } = ForwardMethod.Nat;
    /// <summary>0..int.MaxValue; the kernel rejects larger values with ERANGE.</summary>
    public int Weight { get; init; } = 1;
    public uint UpperThreshold { get; init; }
    public uint LowerThreshold { get; init; }
    public TunnelType TunnelType { get; init; } = TunnelType.Ipip;
    /// <summary>UDP port of GUE encapsulation; ignored for other tunnel types.</summary>
    public ushort TunnelPort { get; init; }
    public TunnelFlags TunnelFlags { get; init; } = TunnelFlags.NoChecksum;

    public static DestinationSpec Default { get; } = new();
}

/// <summary>A destination: identity plus spec.</summary>
public sealed record Destination(DestinationKey Key, DestinationSpec Spec)
{
    public override string ToString() => $"destination {Key}";
}

/// <summary>Traffic counters (STATS64, or STATS widened on kernels before 4.1).</summary>
public sealed record IpvsStats
{
    public ulong Connections { get; init; }
    public ulong InPackets { get; init; }
    public ulong OutPackets { get; init; }
    public ulong InBytes { get; init; }
    public ulong OutBytes { get; init; }
    public ulong ConnectionsPerSecond { get; init; }
    public ulong InPacketsPerSecond { get; init; }
    public ulong OutPacketsPerSecond { get; init; }
    public ulong InBytesPerSecond { get; init; }
    public ulong OutBytesPerSecond { get; init; }

    public static IpvsStats Empty { get; } = new();
}

/// <summary>A destination as the kernel reports it: spec plus observed connection counts and counters.</summary>
public sealed record DestinationStatus(
    Destination Destination,
    uint ActiveConnections,
    uint InactiveConnections,
    uint PersistentConnections,
    IpvsStats Stats)
{
    public DestinationKey Key => Destination.Key;
}
