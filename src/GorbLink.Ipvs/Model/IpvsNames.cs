using System.Net;
using System.Net.Sockets;

namespace GorbLink.Ipvs;

/// <summary>
/// GorbLink's one vocabulary for IPVS values: every word that labels, state files, `ipvs list`, the GORB protocol
/// and logs parse or print is parsed and rendered here (schedulers and service flags in their own files of this
/// class, key order in <see cref="KeyOrder"/>). Parsers are case-insensitive unless they say otherwise; renderers
/// give the canonical lower-case word, which every parser takes back.
/// </summary>
public static partial class IpvsNames
{
    /// <summary>The protocol words every surface accepts, for "known: …" hints.</summary>
    public const string KnownProtocols = "tcp, udp, sctp";

    /// <summary>The forwarding methods a user may ask for (local and bypass are kernel-only), for "known: …" hints.</summary>
    public const string KnownForwardMethods = "nat, dr, tunnel";

    public const string KnownTunnelTypes = "ipip, gue, gre";
    public const string KnownTunnelFlags = "csum, remcsum";
    public const string KnownFamilies = "inet, inet6";

    public static string Protocol(IpvsProtocol protocol) => protocol switch
    {
        IpvsProtocol.Tcp => "tcp",
        IpvsProtocol.Udp => "udp",
        IpvsProtocol.Sctp => "sctp",
        _ => $"proto-{(ushort)protocol}",
    };

    public static bool TryParseProtocol(string? text, out IpvsProtocol protocol) => TryParseProtocol(text.AsSpan(), out protocol);

    public static bool TryParseProtocol(ReadOnlySpan<char> text, out IpvsProtocol protocol)
    {
        if (text.Equals("tcp", StringComparison.OrdinalIgnoreCase)) { protocol = IpvsProtocol.Tcp; return true; }
        if (text.Equals("udp", StringComparison.OrdinalIgnoreCase)) { protocol = IpvsProtocol.Udp; return true; }
        if (text.Equals("sctp", StringComparison.OrdinalIgnoreCase)) { protocol = IpvsProtocol.Sctp; return true; }
        protocol = default;
        return false;
    }

    public static string Family(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => "inet",
        AddressFamily.InterNetworkV6 => "inet6",
        _ => family.ToString(),
    };

    /// <summary>inet or inet6, exactly as <see cref="Family"/> writes them (state files are case-sensitive here).</summary>
    public static bool TryParseFamily(string? text, out AddressFamily family)
    {
        switch (text)
        {
            case "inet": family = AddressFamily.InterNetwork; return true;
            case "inet6": family = AddressFamily.InterNetworkV6; return true;
            default: family = default; return false;
        }
    }

    /// <summary>The prefix length of a single-host netmask, which GorbLink leaves unsaid: /32 or /128.</summary>
    public static int HostPrefixLength(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 128 : 32;

    public static string Forward(ForwardMethod method) => method switch
    {
        ForwardMethod.Nat => "nat",
        ForwardMethod.DirectRoute => "dr",
        ForwardMethod.Tunnel => "tunnel",
        ForwardMethod.Local => "local",
        ForwardMethod.Bypass => "bypass",
        _ => $"fwd-{(uint)method}",
    };

    /// <summary>nat, dr or tunnel, with ipvsadm's spellings masq, droute, tun and GORB's ipip as aliases.</summary>
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

    /// <summary>Tunnel flag words in ipvsadm's order: csum, remcsum.</summary>
    public static IReadOnlyList<string> TunnelFlagWords(TunnelFlags flags)
    {
        var words = new List<string>(2);
        if (flags.HasFlag(TunnelFlags.Checksum)) words.Add("csum");
        if (flags.HasFlag(TunnelFlags.RemoteChecksum)) words.Add("remcsum");
        return words;
    }

    /// <summary>csum or remcsum, exactly as <see cref="TunnelFlagWords"/> writes them.</summary>
    public static bool TryParseTunnelFlag(string? text, out TunnelFlags flag)
    {
        switch (text)
        {
            case "csum": flag = TunnelFlags.Checksum; return true;
            case "remcsum": flag = TunnelFlags.RemoteChecksum; return true;
            default: flag = default; return false;
        }
    }

    /// <summary>A word list as logs and plans print it: comma-separated, or "none".</summary>
    public static string Words(IReadOnlyList<string> words) => words.Count == 0 ? "none" : string.Join(",", words);

    public static string Endpoint(IPAddress address, ushort port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
}
