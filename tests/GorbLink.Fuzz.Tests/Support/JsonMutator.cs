using System.Text.Json.Nodes;
using CsCheck;

namespace GorbLink.Fuzz.Tests.Support;

/// <summary>
/// Structure-aware mutations of JSON seeds: values replaced by nulls, empty and odd strings, huge and negative
/// numbers, wrong types; array entries nulled, duplicated or removed; object members removed. What a damaged file or
/// an odd engine answer looks like, rather than random bytes that never get past the JSON reader.
/// </summary>
public static class JsonMutator
{
    private static readonly Func<Random, JsonNode?>[] Values =
    [
        _ => null,
        _ => JsonValue.Create(""),
        _ => JsonValue.Create(" "),
        _ => JsonValue.Create("a b"),
        _ => JsonValue.Create("\"quoted\""),
        _ => JsonValue.Create(new string('x', 310)),
        _ => JsonValue.Create("0.0.0.0"),
        _ => JsonValue.Create("255.255.255.255"),
        _ => JsonValue.Create("224.0.0.1"),
        _ => JsonValue.Create("::"),
        _ => JsonValue.Create("fe80::1%1"),
        _ => JsonValue.Create("::ffff:10.0.0.1"),
        _ => JsonValue.Create("10.1"),
        _ => JsonValue.Create("0x0a000001"),
        _ => JsonValue.Create("1-65535"),
        _ => JsonValue.Create("80/tcp,80/tcp"),
        _ => JsonValue.Create("2300-01-01T00:00:00Z"),
        _ => JsonValue.Create("\u0000"),
        _ => JsonValue.Create("\ud800"),
        _ => JsonValue.Create(0),
        _ => JsonValue.Create(-1),
        _ => JsonValue.Create(65536),
        _ => JsonValue.Create(70000),
        _ => JsonValue.Create(long.MaxValue),
        _ => JsonValue.Create(1e300),
        _ => JsonValue.Create(true),
        _ => new JsonArray(),
        _ => new JsonObject(),
        r => JsonValue.Create(r.Next()),
    ];

    public static Gen<string> From(string[] seeds, int maxMutations = 4) =>
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int[1, maxMutations], Gen.ULong)
            .Select(t => Mutate(seeds[t.Item1], t.Item2, t.Item3));

    /// <summary>One mutant of <paramref name="seed"/>, the same for the same <paramref name="state"/>.</summary>
    public static string Mutate(string seed, int mutations, ulong state)
    {
        try
        {
            return MutateTree(seed, mutations, state);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            // A seed that is itself broken JSON (duplicate keys, trailing commas) is fed as it is.
            return seed;
        }
    }

    private static string MutateTree(string seed, int mutations, ulong state)
    {
        var random = new Random(unchecked((int)state ^ (int)(state >> 32)));
        var root = JsonNode.Parse(seed, documentOptions: new System.Text.Json.JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = System.Text.Json.JsonCommentHandling.Skip });
        if (root is null) return seed;
        for (var m = 0; m < mutations; m++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var target = nodes[random.Next(nodes.Count)];
            switch (target.Parent)
            {
                case JsonObject parent:
                    var name = target.GetPropertyName();
                    if (random.Next(5) == 0) parent.Remove(name);
                    else parent[name] = Values[random.Next(Values.Length)](random);
                    break;
                case JsonArray array:
                    var index = target.GetElementIndex();
                    switch (random.Next(3))
                    {
                        case 0: array[index] = Values[random.Next(Values.Length)](random); break;
                        case 1: array.Insert(index, target.DeepClone()); break;
                        default: array.RemoveAt(index); break;
                    }
                    break;
            }
        }
        return root.ToJsonString();
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        if (node.Parent is not null) into.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o) if (child is not null) Collect(child, into);
                break;
            case JsonArray a:
                foreach (var child in a) if (child is not null) Collect(child, into);
                break;
        }
        if (into.Count == 0 && node.Parent is null) into.Add(node);
    }
}
