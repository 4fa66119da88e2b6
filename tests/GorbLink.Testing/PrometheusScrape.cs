using System.Globalization;
using System.Text.RegularExpressions;

namespace GorbLink.Testing;

/// <summary>Reading a Prometheus text scrape in tests: samples by name and label set (in any order), and sample names.</summary>
public static partial class PrometheusScrape
{
    /// <summary>The value of the sample <paramref name="name"/> with exactly these labels, in any order; null when there is none.</summary>
    public static double? Value(IEnumerable<string> lines, string name, params (string Name, string Value)[] labels)
    {
        var wanted = labels.Select(l => $"{l.Name}=\"{l.Value}\"").Order(StringComparer.Ordinal).ToList();
        foreach (var line in lines)
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal)) continue;
            var close = line.LastIndexOf('}');
            var found = LabelPattern().Matches(line[(name.Length + 1)..close]).Select(m => m.Value).Order(StringComparer.Ordinal).ToList();
            if (found.SequenceEqual(wanted)) return double.Parse(line[(close + 2)..], CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>The value of the one sample <paramref name="name"/> that has at least these labels; null when none does.</summary>
    public static double? ValueWith(IEnumerable<string> lines, string name, params (string Name, string Value)[] labels)
    {
        var wanted = labels.Select(l => $"{l.Name}=\"{l.Value}\"").ToList();
        var values = new List<double>();
        foreach (var line in lines)
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal)) continue;
            var close = line.LastIndexOf('}');
            var found = LabelPattern().Matches(line[(name.Length + 1)..close]).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
            if (wanted.All(found.Contains)) values.Add(double.Parse(line[(close + 2)..], CultureInfo.InvariantCulture));
        }
        if (values.Count > 1) throw new InvalidOperationException($"{values.Count} samples of {name} have the labels {string.Join(',', wanted)}");
        return values.Count == 1 ? values[0] : null;
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The names of the samples in a scrape (histograms give name_bucket, name_sum, name_count).</summary>
    public static IReadOnlySet<string> SampleNames(string text) =>
        Lines(text).Where(l => !l.StartsWith('#')).Select(l => SampleName().Match(l).Value).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every gorb_* and gorblink_* metric name a Grafana dashboard's queries use.</summary>
    public static IReadOnlySet<string> DashboardMetricNames(string dashboardJson)
    {
        using var document = System.Text.Json.JsonDocument.Parse(dashboardJson);
        var names = new HashSet<string>(StringComparer.Ordinal);
        Collect(document.RootElement, names);
        return names;
    }

    private static void Collect(System.Text.Json.JsonElement element, HashSet<string> names)
    {
        switch (element.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "expr" or "query" && property.Value.ValueKind == System.Text.Json.JsonValueKind.String)
                        foreach (Match m in MetricName().Matches(property.Value.GetString()!)) names.Add(m.Value);
                    else Collect(property.Value, names);
                }
                break;
            case System.Text.Json.JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) Collect(item, names);
                break;
        }
    }

    [GeneratedRegex(@"[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\]|\\.)*""")]
    private static partial Regex LabelPattern();

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SampleName();

    [GeneratedRegex(@"\bgorb(?:link)?_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
