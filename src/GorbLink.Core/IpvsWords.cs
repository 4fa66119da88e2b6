using System.Net.Sockets;
using GorbLink.Ipvs;

namespace GorbLink.Core;

/// <summary>Words for IPVS values that <see cref="IpvsNames"/> leaves out, shared by the state file, plans and table text.</summary>
internal static class IpvsWords
{
    public const string OnePacket = "one-packet";

    /// <summary>
    /// SCHED1..SCHED3 words in the order of ipvsadm's print_sched_flags: fallback, port, flag-3.
    /// SCHED1/SCHED2 mean fallback/port only to sh and mh; other schedulers ignore them, so they get neutral words.
    /// </summary>
    public static List<string> SchedulerFlagWords(ServiceFlags flags, string scheduler)
    {
        var (fallback, port) = scheduler switch
        {
            "sh" => ("sh-fallback", "sh-port"),
            "mh" => ("mh-fallback", "mh-port"),
            _ => ("flag-1", "flag-2"),
        };
        var words = new List<string>();
        if (flags.HasFlag(ServiceFlags.Sched1)) words.Add(fallback);
        if (flags.HasFlag(ServiceFlags.Sched2)) words.Add(port);
        if (flags.HasFlag(ServiceFlags.Sched3)) words.Add("flag-3");
        return words;
    }

    /// <summary>Every settable flag except PERSISTENT, which the state file expresses as "persistence".</summary>
    public static List<string> ServiceFlagWords(ServiceFlags flags, string scheduler)
    {
        var words = SchedulerFlagWords(flags, scheduler);
        if (flags.HasFlag(ServiceFlags.OnePacket)) words.Add(OnePacket);
        return words;
    }

    public static List<string> TunnelFlagWords(TunnelFlags flags)
    {
        var words = new List<string>();
        if (flags.HasFlag(TunnelFlags.Checksum)) words.Add("csum");
        if (flags.HasFlag(TunnelFlags.RemoteChecksum)) words.Add("remcsum");
        return words;
    }

    public static bool TryParseTunnelFlag(string? text, out TunnelFlags flag)
    {
        switch (text)
        {
            case "csum": flag = TunnelFlags.Checksum; return true;
            case "remcsum": flag = TunnelFlags.RemoteChecksum; return true;
            default: flag = default; return false;
        }
    }

    public static bool TryParseFamily(string? text, out AddressFamily family)
    {
        switch (text)
        {
            case "inet": family = AddressFamily.InterNetwork; return true;
            case "inet6": family = AddressFamily.InterNetworkV6; return true;
            default: family = default; return false;
        }
    }

    public static int HostPrefixLength(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 128 : 32;

    public static string Words(IReadOnlyList<string> words) => words.Count == 0 ? "none" : string.Join(",", words);
}
