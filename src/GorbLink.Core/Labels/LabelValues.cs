using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;

namespace GorbLink.Core.Labels;

/// <summary>
/// Parsers for single label values. Each returns null on success or the problem, worded to follow
/// "label gorb.x=\"value\": ". The words themselves (schedulers, flags, forwarding methods) come from <see cref="IpvsNames"/>.
/// </summary>
internal static class LabelValues
{
    /// <summary>
    /// The flag words labels take, in the order of the label table: only words that name their scheduler, and
    /// one-packet. The set is <see cref="FlagWordSet.Named"/>; a test holds the two equal.
    /// </summary>
    public const string KnownFlags = "sh-port, sh-fallback, mh-port, mh-fallback, one-packet";

    public static bool TryParseBool(string text, out bool value)
    {
        var t = text.Trim();
        if (t.Equals("true", StringComparison.OrdinalIgnoreCase) || t == "1") { value = true; return true; }
        if (t.Equals("false", StringComparison.OrdinalIgnoreCase) || t == "0") { value = false; return true; }
        value = false;
        return false;
    }

    /// <summary>Plain decimal digits only: no sign, no spaces, no hex. Too many digits saturate, so they read as out of range.</summary>
    public static bool TryParseDigits(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty) return false;
        foreach (var ch in text)
        {
            if (ch is < '0' or > '9') return false;
            value = value > (ulong.MaxValue - 9) / 10 ? ulong.MaxValue : value * 10 + (ulong)(ch - '0');
        }
        return true;
    }

    public static string? ParseServiceName(string text, out string name)
    {
        name = text.Trim();
        return ServiceNames.Problem(name);
    }

    public static string? ParseVip(string text, out IPAddress vip)
    {
        if (!TryParseAddress(text.Trim(), out vip)) return "not an IPv4 or IPv6 address";
        if (vip.Equals(IPAddress.Any) || vip.Equals(IPAddress.IPv6Any) || vip.Equals(IPAddress.Broadcast) || IsMulticast(vip))
            return "not usable as a virtual IP (unspecified, broadcast or multicast)";
        return null;
    }

    public static string? ParseScheduler(string text, out string scheduler) =>
        IpvsNames.TryParseScheduler(text.AsSpan().Trim(), ignoreCase: true, out scheduler)
            ? null
            : $"unknown scheduler (known: {IpvsNames.KnownSchedulers})";

    /// <summary>Comma-separated flag words of <see cref="FlagWordSet.Named"/>; sh-* only with sh, mh-* only with mh.</summary>
    public static string? ParseFlags(string text, string scheduler, out ServiceFlags flags)
    {
        flags = ServiceFlags.None;
        foreach (var range in text.AsSpan().Split(','))
        {
            var word = text.AsSpan()[range].Trim();
            if (word.IsEmpty) return $"empty item; expected flags separated by commas ({KnownFlags})";
            if (!IpvsNames.TryParseFlag(word, FlagWordSet.Named, out var flag))
                return $"unknown flag \"{word}\" (known: {KnownFlags})";
            if (flag.Scheduler is { } needs && scheduler != needs)
                return $"flag {flag.Word} needs scheduler {needs}, but the scheduler is {scheduler}";
            flags |= flag.Flag;
        }
        return null;
    }

    public static string? ParsePersistence(string text, out uint persistence)
    {
        persistence = 0;
        if (!TryParseDigits(text.Trim(), out var seconds)) return "not a number of seconds";
        if (seconds > ContainerLabels.MaxPersistence)
            return $"out of range 0..{ContainerLabels.MaxPersistence} seconds (0 means not persistent)";
        persistence = (uint)seconds;
        return null;
    }

    /// <summary>Only the three methods of the label table (and their aliases); local and bypass are kernel-only.</summary>
    public static string? ParseForward(string text, out ForwardMethod method)
    {
        if (IpvsNames.TryParseForward(text.Trim(), out method)) return null;
        method = ForwardMethod.Nat;
        return $"unknown forwarding method (known: {IpvsNames.KnownForwardMethods})";
    }

    public static string? ParseWeight(string text, out int weight)
    {
        weight = ContainerLabels.DefaultWeight;
        if (!TryParseDigits(text.Trim(), out var w)) return "not a number (0..65535)";
        if (w > ContainerLabels.MaxWeight) return "out of range 0..65535";
        weight = (int)w;
        return null;
    }

    public static string? ParseBackend(string text, out BackendMode backend)
    {
        var b = text.Trim();
        backend = BackendMode.Published;
        if (b.Equals("published", StringComparison.OrdinalIgnoreCase)) return null;
        if (b.Equals("container", StringComparison.OrdinalIgnoreCase)) { backend = BackendMode.Container; return null; }
        return "unknown backend mode (known: published, container)";
    }

    /// <summary>The one strict address syntax (<see cref="EndpointRules.TryParseAddress"/>), as the state files and serve read it.</summary>
    public static bool TryParseAddress(string text, out IPAddress address) => EndpointRules.TryParseAddress(text, out address);

    private static bool IsMulticast(IPAddress address) => EndpointRules.IsMulticast(address);
}
