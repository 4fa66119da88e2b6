using System.Globalization;

namespace GorbLink.Docker;

/// <summary>Docker's timestamps: RFC 3339 with up to nine fractional digits, and Unix nanoseconds in events.</summary>
internal static class DockerTime
{
    /// <summary>
    /// Parses "2024-05-01T10:00:00.123456789Z" (or with an offset) into Unix nanoseconds; null when absent, zero
    /// ("0001-01-01T00:00:00Z" = never) or malformed. .NET parses at most seven fractional digits, so the rest is
    /// added by hand.
    /// </summary>
    public static long? ParseUnixNanos(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var text = value.Trim();
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        long extraNanos = 0;
        if (dot >= 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            var digits = text[(dot + 1)..end];
            if (digits.Length == 0) return null;
            var padded = digits.Length >= 9 ? digits[..9] : digits.PadRight(9, '0');
            extraNanos = long.Parse(padded, NumberStyles.None, CultureInfo.InvariantCulture);
            text = text[..dot] + text[end..];
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var whole))
            return null;
        if (whole.Year <= 1) return null;
        return FromSeconds(whole.ToUnixTimeSeconds(), extraNanos);
    }

    /// <summary>
    /// Unix nanoseconds in a long reach from 1677-09-21 to 2262-04-11; a time outside that is unknown (null), never
    /// wrapped into another century.
    /// </summary>
    private static long? FromSeconds(long seconds, long extraNanos)
    {
        if (seconds is > long.MaxValue / 1_000_000_000L or < long.MinValue / 1_000_000_000L) return null;
        var nanos = seconds * 1_000_000_000L;
        return nanos > long.MaxValue - extraNanos ? null : nanos + extraNanos;
    }

    /// <summary>An event's time in Unix nanoseconds (timeNano, else time in seconds).</summary>
    public static long? EventNanos(long? timeNano, long? time) =>
        timeNano is > 0 ? timeNano : time is > 0 ? FromSeconds(time.Value, 0) : null;

    /// <summary>Formats Unix nanoseconds as the "seconds.nanoseconds" string the events API's <c>since</c> takes.</summary>
    public static string FormatSince(long unixNanos) =>
        string.Create(CultureInfo.InvariantCulture, $"{unixNanos / 1_000_000_000L}.{unixNanos % 1_000_000_000L:D9}");

    public static DateTimeOffset ToDateTimeOffset(long unixNanos) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixNanos / 1_000_000).AddTicks(unixNanos % 1_000_000 / 100);
}
