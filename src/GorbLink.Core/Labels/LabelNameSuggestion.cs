namespace GorbLink.Core.Labels;

/// <summary>Finds the label name a misspelt one was meant to be, so that a typo is reported with a fix.</summary>
internal static class LabelNameSuggestion
{
    /// <summary>Index in <see cref="ContainerLabels.Names"/> of a name, matched case-insensitively, or -1.</summary>
    public static int IndexOf(ReadOnlySpan<char> name)
    {
        var names = ContainerLabels.Names;
        for (var i = 0; i < names.Count; i++)
        {
            if (name.Equals(names[i], StringComparison.OrdinalIgnoreCase)) return i;
        }
        return -1;
    }

    /// <summary>The known label name closest to a misspelt one (edit distance at most 2), or null.</summary>
    public static string? Suggest(ReadOnlySpan<char> name)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var known in ContainerLabels.Names)
        {
            var d = EditDistance(name, known);
            if (d < bestDistance) { bestDistance = d; best = known; }
        }
        return best;
    }

    private static int EditDistance(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        Span<int> previous = stackalloc int[b.Length + 1];
        Span<int> current = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            current.CopyTo(previous);
        }
        return previous[b.Length];
    }
}
