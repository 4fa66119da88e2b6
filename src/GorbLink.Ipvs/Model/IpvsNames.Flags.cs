namespace GorbLink.Ipvs;

/// <summary>Which service-flag words a surface takes.</summary>
public enum FlagWordSet
{
    /// <summary>Only words that name their scheduler (sh-*, mh-*) and one-packet: container labels.</summary>
    Named,
    /// <summary>Also the kernel's neutral flag-1..flag-3 and the alias ops: state files and the GORB protocol.</summary>
    All,
}

/// <summary>One service-flag word: the flag bit it stands for and the scheduler it belongs to (null: any).</summary>
public sealed record ServiceFlagWord(string Word, ServiceFlags Flag, string? Scheduler, bool Named);

/// <summary>Service-flag words: one table, parsed and rendered here only.</summary>
public static partial class IpvsNames
{
    private const string OnePacket = "one-packet";

    private static readonly ServiceFlagWord OnePacketWord = new(OnePacket, ServiceFlags.OnePacket, null, Named: true);

    /// <summary>
    /// Every flag word, in ipvsadm's order (print_sched_flags: fallback, port, flag-3; then one-packet).
    /// SCHED1/SCHED2 mean fallback/port only to sh and mh; other schedulers ignore them, so they get the neutral words.
    /// PERSISTENT has no word: the persistence timeout carries it.
    /// </summary>
    public static IReadOnlyList<ServiceFlagWord> ServiceFlagWords { get; } =
    [
        new("sh-fallback", ServiceFlags.Sched1, "sh", Named: true),
        new("sh-port", ServiceFlags.Sched2, "sh", Named: true),
        new("mh-fallback", ServiceFlags.Sched1, "mh", Named: true),
        new("mh-port", ServiceFlags.Sched2, "mh", Named: true),
        new("flag-1", ServiceFlags.Sched1, null, Named: false),
        new("flag-2", ServiceFlags.Sched2, null, Named: false),
        new("flag-3", ServiceFlags.Sched3, null, Named: false),
        OnePacketWord,
    ];

    /// <summary>ops: ipvsadm's option name for one-packet scheduling, taken as an alias where every word is; never written.</summary>
    private const string OnePacketAlias = "ops";

    /// <summary>The words of <see cref="FlagWordSet.All"/>, for "known: …" hints.</summary>
    public static string KnownFlags { get; } = string.Join(", ", ServiceFlagWords.Select(w => w.Word));

    /// <summary>Any flag word of <see cref="FlagWordSet.All"/>, case-insensitive.</summary>
    public static bool TryParseFlag(string? text, out ServiceFlags flag)
    {
        if (TryParseFlag(text.AsSpan(), FlagWordSet.All, out var word))
        {
            flag = word.Flag;
            return true;
        }
        flag = default;
        return false;
    }

    /// <summary>A flag word of <paramref name="set"/>, case-insensitive; the word tells its flag and its scheduler.</summary>
    public static bool TryParseFlag(ReadOnlySpan<char> text, FlagWordSet set, out ServiceFlagWord word)
    {
        foreach (var candidate in ServiceFlagWords)
        {
            if ((candidate.Named || set == FlagWordSet.All) && text.Equals(candidate.Word, StringComparison.OrdinalIgnoreCase))
            {
                word = candidate;
                return true;
            }
        }
        if (set == FlagWordSet.All && text.Equals(OnePacketAlias, StringComparison.OrdinalIgnoreCase))
        {
            word = OnePacketWord;
            return true;
        }
        word = null!;
        return false;
    }

    /// <summary>
    /// The words for a service's settable flags (every flag but PERSISTENT), in ipvsadm's order, named after its
    /// scheduler: sh-* for sh, mh-* for mh, flag-1/flag-2 for any other.
    /// </summary>
    public static IReadOnlyList<string> Flags(ServiceFlags flags, string scheduler)
    {
        var words = SchedulerFlags(flags, scheduler);
        if (flags.HasFlag(ServiceFlags.OnePacket)) words.Add(OnePacket);
        return words;
    }

    /// <summary>Only the SCHED1..SCHED3 words of <see cref="Flags"/>: what `ipvs list` shows in parentheses after the scheduler.</summary>
    public static List<string> SchedulerFlags(ServiceFlags flags, string scheduler)
    {
        var words = new List<string>(4);
        foreach (var word in ServiceFlagWords)
        {
            if (word.Flag is ServiceFlags.OnePacket || !flags.HasFlag(word.Flag)) continue;
            if (word.Flag == ServiceFlags.Sched3 || word.Scheduler == NamingScheduler(scheduler)) words.Add(word.Word);
        }
        return words;
    }

    /// <summary>The scheduler whose words name SCHED1/SCHED2 for <paramref name="scheduler"/>: sh, mh, or null for the neutral flag-N.</summary>
    private static string? NamingScheduler(string scheduler) => scheduler switch
    {
        "sh" => "sh",
        "mh" => "mh",
        _ => null,
    };
}
