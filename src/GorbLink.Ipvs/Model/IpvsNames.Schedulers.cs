namespace GorbLink.Ipvs;

/// <summary>Scheduler names: the one list, the one default, the one parser.</summary>
public static partial class IpvsNames
{
    /// <summary>The scheduler of a service that names none: labels, state files and GORB (which picks wrr because pulse reweights).</summary>
    public const string DefaultScheduler = "wrr";

    /// <summary>The state file's word for a service without a scheduler; no other surface takes it.</summary>
    public const string NoScheduler = "none";

    /// <summary>Schedulers in mainline Kconfig (net/netfilter/ipvs/Kconfig).</summary>
    public static IReadOnlyList<string> MainlineSchedulers { get; } =
        ["rr", "wrr", "lc", "wlc", "fo", "ovf", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq", "twos"];

    /// <summary>The mainline schedulers, for "known: …" hints.</summary>
    public static string KnownSchedulers { get; } = string.Join(", ", MainlineSchedulers);

    /// <summary>
    /// A mainline scheduler, returned in its canonical lower-case spelling. Labels and GORB requests are typed by
    /// people and ignore case; the state file is GorbLink's own output and takes only the exact word.
    /// </summary>
    public static bool TryParseScheduler(ReadOnlySpan<char> text, bool ignoreCase, out string scheduler)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var known in MainlineSchedulers)
        {
            if (text.Equals(known, comparison))
            {
                scheduler = known;
                return true;
            }
        }
        scheduler = "";
        return false;
    }
}
