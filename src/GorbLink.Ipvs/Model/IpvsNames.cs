using System.Net;
using System.Net.Sockets;

namespace GorbLink.Ipvs;

/// <summary>The words users see for IPVS values, shared by messages, the state file and the CLI.</summary>
public static class IpvsNames
{
    /// <summary>Schedulers in mainline Kconfig (net/netfilter/ipvs/Kconfig).</summary>
    public static IReadOnlyList<string> MainlineSchedulers { get; } =
        ["rr", "wrr", "lc", "wlc", "fo", "ovf", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq", "twos"];

    public static string Protocol(IpvsProtocol protocol) => protocol switch
    {
        IpvsProtocol.Tcp => "tcp",
        IpvsProtocol.Udp => "udp",
        IpvsProtocol.Sctp => "sctp",
        _ => $"proto-{(ushort)protocol}",
    };

    public static bool TryParseProtocol(string? text, out IpvsProtocol protocol)
    {
        switch (text?.ToLowerInvariant())
        {
            case "tcp": protocol = IpvsProtocol.Tcp; return true;
            case "udp": protocol = IpvsProtocol.Udp; return true;
            case "sctp": protocol = IpvsProtocol.Sctp; return true;
            default: protocol = default; return false;
        }
    }

    public static string Family(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => "inet",
        AddressFamily.InterNetworkV6 => "inet6",
        _ => family.ToString(),
    };

    public static string Forward(ForwardMethod method) => method switch
    {
        ForwardMethod.Nat => "nat",
        ForwardMethod.DirectRoute => "dr",
        ForwardMethod.Tunnel => "tunnel",
        ForwardMethod.Local => "local",
        ForwardMethod.Bypass => "bypass",
        _ => $"fwd-{(uint)method}",
    };

    public static bool TryParseForward(string? text, out ForwardMethod method)
    {
        switch (text?.ToLowerInvariant())
        {
            case "nat" or "masq": method = ForwardMethod.Nat; return true;
            case "dr" or "droute": method = ForwardMethod.DirectRoute; return true;
            case "tunnel" or "tun" or "ipip": method = ForwardMethod.Tunnel; return true;
            default: method = default; return false;
        }
    }

    public static string Tunnel(TunnelType type) => type switch
    {
        TunnelType.Ipip => "ipip",
        TunnelType.Gue => "gue",
        TunnelType.Gre => "gre",
        _ => $"tun-{(byte)type}",
    };

    public static bool TryParseTunnel(string? text, out TunnelType type)
    {
        switch (text?.ToLowerInvariant())
        {
            case "ipip": type = TunnelType.Ipip; return true;
            case "gue": type = TunnelType.Gue; return true;
            case "gre": type = TunnelType.Gre; return true;
            default: type = default; return false;
        }
    }

    /// <summary>Flag words of the state file and labels; the meaning of SCHED1/SCHED2 depends on the scheduler.</summary>
    public static bool TryParseFlag(string? text, out ServiceFlags flag)
    {
        switch (text?.ToLowerInvariant())
        {
            case "sh-fallback" or "mh-fallback" or "flag-1": flag = ServiceFlags.Sched1; return true;
            case "sh-port" or "mh-port" or "flag-2": flag = ServiceFlags.Sched2; return true;
            case "flag-3": flag = ServiceFlags.Sched3; return true;
            case "one-packet" or "ops": flag = ServiceFlags.OnePacket; return true;
            default: flag = default; return false;
        }
    }

    /// <summary>Flag words for a service's settable flags, named after its scheduler (mh-port for mh, sh-port otherwise).</summary>
    public static IReadOnlyList<string> Flags(ServiceFlags flags, string scheduler)
    {
        var prefix = scheduler == "mh" ? "mh" : "sh";
        var words = new List<string>();
        if (flags.HasFlag(ServiceFlags.Sched2)) words.Add($"{prefix}-port");
        if (flags.HasFlag(ServiceFlags.Sched1)) words.Add($"{prefix}-fallback");
        if (flags.HasFlag(ServiceFlags.Sched3)) words.Add("flag-3");
        if (flags.HasFlag(ServiceFlags.OnePacket)) words.Add("one-packet");
        return words;
    }

    public static string Endpoint(IPAddress address, ushort port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
}
