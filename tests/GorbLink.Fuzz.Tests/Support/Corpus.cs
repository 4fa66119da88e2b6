namespace GorbLink.Fuzz.Tests.Support;

/// <summary>The seed inputs of one target: corpus/&lt;target&gt;/*, copied from the project's test assets and kept in the repository.</summary>
public static class Corpus
{
    public static byte[][] Bytes(string target)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "corpus", target);
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length == 0) throw new InvalidOperationException($"corpus/{target} is empty: a fuzz target needs seed inputs");
        return [.. files.Select(File.ReadAllBytes)];
    }

    /// <summary>Hex dumps (whitespace and '#' comments ignored), for binary seeds kept readable.</summary>
    public static byte[][] Hex(string target) =>
        [.. Bytes(target).Select(bytes => Convert.FromHexString(string.Concat(System.Text.Encoding.ASCII.GetString(bytes)
            .Split('\n').Select(line => line.Split('#')[0]).SelectMany(line => line.Where(Uri.IsHexDigit)))))];

    public static string[] Text(string target) => [.. Bytes(target).Select(bytes => System.Text.Encoding.UTF8.GetString(bytes))];
}
