namespace GorbLink.Remote.Metrics;

/// <summary>
/// A 64-bit identity of a label set (FNV-1a over each key and value), so <see cref="ObjectSeries"/> can tell which
/// reported objects are new without keeping their labels. Order matters, as it does for the instruments, which always
/// give one object's labels in the same order.
/// </summary>
public static class LabelSetIdentity
{
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    public static long Of(ReadOnlySpan<KeyValuePair<string, object?>> labels)
    {
        var hash = Offset;
        foreach (var (key, value) in labels)
        {
            hash = Add(hash, key);
            hash = Add(hash, value as string ?? value?.ToString() ?? "");
        }
        return unchecked((long)hash);
    }

    private static ulong Add(ulong hash, string text)
    {
        foreach (var c in text) hash = unchecked((hash ^ c) * Prime);
        return unchecked((hash ^ 0xFFFF) * Prime); // a separator no char gives, so ("ab","c") differs from ("a","bc")
    }
}
