using System.Globalization;
using System.Text.RegularExpressions;
using GorbLink.Ipvs;

namespace GorbLink.Remote.Protocol;

/// <summary>GORB's words for flags, forwarding methods and durations, both ways.</summary>
public static partial class GorbWords
{
    public const string DefaultScheduler = "wrr";
    public const string DefaultInterval = "1m";
    public const int DefaultWeight = 100;
    /// <summary>ipvsadm's default persistence timeout, used when a service says persistent without a timeout.</summary>
    public const uint DefaultPersistenceTimeout = 300;

    /// <summary>
    /// Parses GORB's '|'-separated flags (core/context.go: sh-fallback → SCHED1, sh-port → SCHED2, flag-1..3 → SCHED1..3).
    /// gorblink serve also takes mh-fallback, mh-port and one-packet.
    /// </summary>
    public static bool TryParseFlags(string? text, out ServiceFlags flags, out string? unknown)
    {
        flags = ServiceFlags.None;
        unknown = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        foreach (var word in text.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!IpvsNames.TryParseFlag(word, out var flag))
            {
                unknown = word;
                return false;
            }
            flags |= flag;
        }
        return true;
    }

    /// <summary>The flags as GORB words: sh-* for sh, flag-1/flag-2 for other schedulers, flag-3, and one-packet (which only `gorblink serve` knows).</summary>
    public static string Flags(ServiceFlags flags, string scheduler)
    {
        var words = new List<string>(4);
        var sh = string.Equals(scheduler, "sh", StringComparison.OrdinalIgnoreCase);
        if (flags.HasFlag(ServiceFlags.Sched1)) words.Add(sh ? "sh-fallback" : "flag-1");
        if (flags.HasFlag(ServiceFlags.Sched2)) words.Add(sh ? "sh-port" : "flag-2");
        if (flags.HasFlag(ServiceFlags.Sched3)) words.Add("flag-3");
        if (flags.HasFlag(ServiceFlags.OnePacket)) words.Add("one-packet");
        return string.Join('|', words);
    }

    /// <summary>nat (default), dr, tunnel or ipip (pulse of PR #38).</summary>
    public static bool TryParseForward(string? text, out ForwardMethod method)
    {
        if (string.IsNullOrEmpty(text))
        {
            method = ForwardMethod.Nat;
            return true;
        }
        switch (text.ToLowerInvariant())
        {
            case "nat": method = ForwardMethod.Nat; return true;
            case "dr": method = ForwardMethod.DirectRoute; return true;
            case "tunnel" or "ipip": method = ForwardMethod.Tunnel; return true;
            default: method = default; return false;
        }
    }

    public static string Forward(ForwardMethod method) => method switch
    {
        ForwardMethod.DirectRoute => "dr",
        ForwardMethod.Tunnel => "tunnel",
        _ => "nat",
    };

    /// <summary>GORB's interval syntax (util/time.go): an integer and a unit of s, sec, seconds, m, min, minutes, h, hours.</summary>
    [GeneratedRegex(@"^([+-]?\d+)(s|sec|seconds|m|min|minutes|h|hours)$", RegexOptions.CultureInvariant)]
    private static partial Regex IntervalPattern();

    /// <summary>Parses an interval; false with a reason when it is malformed or not positive.</summary>
    public static bool TryParseInterval(string? text, out TimeSpan interval, out string? problem)
    {
        interval = default;
        problem = null;
        if (string.IsNullOrEmpty(text))
        {
            interval = TimeSpan.FromMinutes(1);
            return true;
        }
        var match = IntervalPattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            problem = $"invalid interval format \"{text}\" (e.g. 30s, 1m, 2h)";
            return false;
        }
        if (n <= 0)
        {
            problem = $"pulse interval must be positive, not \"{text}\"";
            return false;
        }
        var unit = match.Groups[2].Value[0] switch { 's' => 1L, 'm' => 60L, _ => 3600L };
        if (n > (long)TimeSpan.FromDays(365).TotalSeconds / unit)
        {
            problem = $"pulse interval \"{text}\" is longer than a year";
            return false;
        }
        interval = TimeSpan.FromSeconds(n * unit);
        return true;
    }
}
