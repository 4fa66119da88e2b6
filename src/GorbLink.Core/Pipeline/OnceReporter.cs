namespace GorbLink.Core.Pipeline;

/// <summary>
/// Reports a problem the first time a pass finds it, not on every pass: each pass hands over everything it found, keyed;
/// a key not reported before is "new", one reported by the previous pass is "again", and a key the previous pass had
/// and this one has not is "gone" (returned, so that the caller can say it was resolved). The kernel loop's label
/// errors, the reconciler's refusals and the GORB sinks' refused writes all use this one rule.
/// Not thread-safe: one loop owns each reporter.
/// </summary>
public sealed class OnceReporter
{
    private Dictionary<string, string> _reported = new(StringComparer.Ordinal);

    /// <summary>The keys the last call reported, with their text.</summary>
    public IReadOnlyDictionary<string, string> Current => _reported;

    /// <summary>Reports messages that are their own key.</summary>
    /// <returns>The messages of the previous call that are gone.</returns>
    public IReadOnlyList<string> Report(IEnumerable<string> messages, Action<string> first, Action<string>? again = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return [.. Report(messages.Select(m => (m, m)), first, again).Select(g => g.Value)];
    }

    /// <summary>Reports keyed items; of several items with one key the first counts.</summary>
    /// <returns>The keys (and texts) of the previous call that are gone.</returns>
    public IReadOnlyList<KeyValuePair<string, string>> Report(
        IEnumerable<(string Key, string Text)> items, Action<string> first, Action<string>? again = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(first);
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, text) in items)
        {
            if (!current.TryAdd(key, text)) continue;
            if (!_reported.ContainsKey(key)) first(text);
            else again?.Invoke(text);
        }
        var gone = _reported.Where(r => !current.ContainsKey(r.Key)).ToList();
        _reported = current;
        return gone;
    }
}
