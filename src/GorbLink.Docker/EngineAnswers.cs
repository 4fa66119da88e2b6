using GorbLink.Docker.Engine;

namespace GorbLink.Docker;

/// <summary>
/// Checks of what the engine answered that the JSON models cannot express: ids that must be there, and an inspect that
/// must describe the container that was asked for. A failed check names the entry and skips it; it never fails a sync.
/// </summary>
internal static class EngineAnswers
{
    /// <summary>The ids of a container list, in order and each once; entries that are null or lack an id are reported.</summary>
    public static (IReadOnlyList<string> Ids, IReadOnlyList<string> Problems) ListedIds(IReadOnlyList<ContainerSummary?>? list)
    {
        var ids = new List<string>(list?.Count ?? 0);
        var problems = new List<string>();
        if (list is null) return (ids, problems);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var id = list[i]?.Id;
            if (list[i] is null) problems.Add($"entry {i} is null");
            else if (string.IsNullOrWhiteSpace(id)) problems.Add($"entry {i} has no Id");
            else if (!seen.Add(id)) problems.Add($"entry {i} repeats container {id}");
            else ids.Add(id);
        }
        return (ids, problems);
    }

    /// <summary>Why an inspect of <paramref name="askedId"/> cannot be used, or null when it can.</summary>
    public static string? Unusable(string askedId, ContainerInspect inspect)
    {
        if (string.IsNullOrWhiteSpace(inspect.Id)) return "the engine's inspect answer has no Id";
        // The engine resolves names and id prefixes too, but the watcher always asks by the full id it was given.
        if (!string.Equals(inspect.Id, askedId, StringComparison.Ordinal) && !inspect.Id.StartsWith(askedId, StringComparison.Ordinal))
            return $"the engine's inspect answer describes another container ({inspect.Id})";
        return null;
    }
}
