using System.Globalization;
using System.Text.RegularExpressions;
using GorbLink.Ipvs;

namespace GorbLink.Remote.Protocol;

/// <summary>
/// GORB's spellings on top of <see cref="IpvsNames"/>: where GORB's wire format says things differently, and its
/// defaults. Everything else (scheduler names, flag words, protocols, forwarding words) comes from IpvsNames.
/// </summary>
public static partial class GorbWords
{
    public const string DefaultScheduler = IpvsNames.DefaultScheduler;
    public const string DefaultInterval = "1m";
    public const int DefaultWeight = 100;
    /// <summary>ipvsadm's default persistence timeout, used when a service says persistent without a timeout.</summary>
    public const uint DefaultPersistenceTimeout = 300;

    /// <summary>
    /// Parses GORB's '|'-separated flags (core/context.go: sh-fallback → SCHED1, sh-port → SCHED2, flag-1..3 → SCHED1..3).
    /// gorblink serve also takes every other word of <see cref="FlagWordSet.All"/> (mh-fallback, mh-port, one-packet).
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

    /// <summary>
    /// The flags as GORB words, '|'-separated in IpvsNames' order. GORB knows sh-* but not mh-*, so a scheduler other
    /// than sh gets the neutral flag-1/flag-2; one-packet only `gorblink serve` knows.
    /// </summary>
    public static string Flags(ServiceFlags flags, string scheduler) =>
        string.Join('|', IpvsNames.Flags(flags, string.Equals(scheduler, "sh", StringComparison.OrdinalIgnoreCase) ? "sh" : ""));

    /// <summary>GORB's method: empty means nat; otherwise nat, dr, tunnel or ipip (pulse of PR #38), as <see cref="IpvsNames.TryParseForward"/>.</summary>
    public static bool TryParseForward(string? text, out ForwardMethod method)
    {
        if (string.IsNullOrEmpty(text))
        {
            method = ForwardMethod.Nat;
            return true;
        }
        return IpvsNames.TryParseForward(text, out method);
    }

    /// <summary>GORB knows only nat, dr and tunnel; the kernel-only local and bypass are sent as nat.</summary>
    public static string Forward(ForwardMethod method) =>
        method is ForwardMethod.DirectRoute or ForwardMethod.Tunnel ? IpvsNames.Forward(method) : IpvsNames.Forward(ForwardMethod.Nat);

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
