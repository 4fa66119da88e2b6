using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;

namespace GorbLink.Testing;

/// <summary>
/// One folder of testassets/labels: containers.json (ContainerRecord-shaped), optional options.json and
/// previous-containers.json (the containers of the state before, to test who keeps a claim), and the expectation:
/// expected.json (services; absent = none) and expected-errors.txt (label errors then conflicts; absent = none).
/// </summary>
public sealed class LabelScenario
{
    /// <summary>Options when a scenario has no options.json: eth0 with an IPv4, a link-local and a global IPv6 address.</summary>
    public static readonly LabelOptions DefaultOptions = LabelOptions.ForInterface(
        [IPAddress.Parse("192.0.2.10"), IPAddress.Parse("fe80::10"), IPAddress.Parse("2001:db8::10")]);

    private LabelScenario(string name, string directory)
    {
        Name = name;
        Directory = directory;
    }

    public string Name { get; }
    public string Directory { get; }
    public LabelOptions Options { get; private init; } = DefaultOptions;
    public IReadOnlyList<ContainerRecord> Containers { get; private init; } = [];
    public IReadOnlyList<ContainerRecord>? PreviousContainers { get; private init; }

    public static string AssetRoot => Path.Combine(AppContext.BaseDirectory, "testassets", "labels");

    /// <summary>The same folder in the source tree, for GORBLINK_UPDATE_SCENARIOS=1.</summary>
    /// <summary>testassets/labels in the source tree of the calling test project (for GORBLINK_UPDATE_SCENARIOS), found
    /// from the calling test file, which sits one folder below its project (Labels/).</summary>
    public static string SourceRoot([CallerFilePath] string callerFile = "") =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(callerFile))!, "testassets", "labels");

    public static IEnumerable<string> Names() =>
        System.IO.Directory.GetDirectories(AssetRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static LabelScenario Load(string name)
    {
        var dir = Path.Combine(AssetRoot, name);
        var optionsFile = Path.Combine(dir, "options.json");
        var previousFile = Path.Combine(dir, "previous-containers.json");
        return new LabelScenario(name, dir)
        {
            Options = File.Exists(optionsFile) ? ParseOptions(ReadJson(optionsFile)) : DefaultOptions,
            Containers = ParseContainers(ReadJson(Path.Combine(dir, "containers.json"))),
            PreviousContainers = File.Exists(previousFile) ? ParseContainers(ReadJson(previousFile)) : null,
        };
    }

    public string? ReadExpectedServices() => ReadExpectedServices(Directory);

    public string ReadExpectedErrors() => ReadExpectedErrors(Directory);

    // The expectation files, shared with the Docker tests' inspect scenarios (which link this file).

    /// <summary>expected.json of <paramref name="directory"/> rendered for comparison; null when absent (no services).</summary>
    public static string? ReadExpectedServices(string directory)
    {
        var file = Path.Combine(directory, "expected.json");
        return File.Exists(file) ? Render(ReadJson(file)) : null;
    }

    /// <summary>expected-errors.txt of <paramref name="directory"/>, one line each, without blanks and # comments.</summary>
    public static string ReadExpectedErrors(string directory)
    {
        var file = Path.Combine(directory, "expected-errors.txt");
        if (!File.Exists(file)) return "";
        return string.Join('\n', File.ReadAllLines(file).Where(l => l.Length > 0 && !l.StartsWith('#')));
    }

    /// <summary>Rewrites both expectation files of <paramref name="directory"/> (GORBLINK_UPDATE_SCENARIOS=1); an empty one is deleted.</summary>
    public static void WriteExpected(string directory, DesiredState state, string services, string errors)
    {
        var servicesFile = Path.Combine(directory, "expected.json");
        var errorsFile = Path.Combine(directory, "expected-errors.txt");
        if (state.Services.Count > 0) File.WriteAllText(servicesFile, services + "\n");
        else File.Delete(servicesFile);
        if (errors.Length > 0) File.WriteAllText(errorsFile, errors + "\n");
        else File.Delete(errorsFile);
    }

    /// <summary>A scenario JSON file: comments and trailing commas allowed.</summary>
    public static JsonNode ReadJson(string file) =>
        JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
        ?? throw new InvalidDataException($"{file}: empty");

    private static LabelOptions ParseOptions(JsonNode node)
    {
        var o = node.AsObject();
        return new LabelOptions
        {
            Prefix = (string?)o["prefix"] ?? LabelOptions.DefaultPrefix,
            ExposeByDefault = (bool?)o["exposeByDefault"] ?? false,
            DefaultVip = o["defaultVip"] is { } vip ? IPAddress.Parse((string)vip!) : null,
            InterfaceAddresses = o["interfaceAddresses"] is JsonArray a
                ? [.. a.Select(x => IPAddress.Parse((string)x!))]
                : DefaultOptions.InterfaceAddresses,
        };
    }

    private static readonly HashSet<string> ContainerFields =
        ["id", "name", "image", "created", "labels", "lifecycle", "health", "exposedPorts", "publishedPorts", "networks", "networkMode"];

    public static IReadOnlyList<ContainerRecord> ParseContainers(JsonNode node) =>
        [.. node.AsArray().Select(n => ParseContainer(n!.AsObject()))];

    private static ContainerRecord ParseContainer(JsonObject o)
    {
        foreach (var (key, _) in o)
        {
            if (!ContainerFields.Contains(key)) throw new InvalidDataException($"unknown container field \"{key}\"");
        }
        var name = (string)o["name"]!;
        return new ContainerRecord
        {
            Id = (string?)o["id"] ?? throw new InvalidDataException($"container {name}: no id"),
            Name = name,
            Image = (string?)o["image"] ?? "test/image:latest",
            Created = o["created"] is { } created
                ? DateTimeOffset.Parse((string)created!, CultureInfo.InvariantCulture)
                : DateTimeOffset.MinValue,
            Labels = o["labels"] is JsonObject labels
                ? labels.ToImmutableDictionary(kv => kv.Key, kv => (string)kv.Value!)
                : ImmutableDictionary<string, string>.Empty,
            Lifecycle = o["lifecycle"] is { } l ? Enum.Parse<ContainerLifecycle>((string)l!, ignoreCase: true) : ContainerLifecycle.Running,
            Health = o["health"] is { } h ? Enum.Parse<ContainerHealth>((string)h!, ignoreCase: true) : ContainerHealth.None,
            ExposedPorts = o["exposedPorts"] is JsonArray exposed ? [.. exposed.Select(x => (string)x!)] : [],
            PublishedPorts = o["publishedPorts"] is JsonArray published ? [.. published.Select(x => ParseBinding((string)x!))] : [],
            Networks = o["networks"] is JsonArray networks
                ? [.. networks.Select(x => new ContainerNetwork(
                    (string)x!["name"]!,
                    x["ipv4"] is { } v4 ? IPAddress.Parse((string)v4!) : null,
                    x["ipv6"] is { } v6 ? IPAddress.Parse((string)v6!) : null))]
                : [],
            NetworkMode = (string?)o["networkMode"] ?? "bridge",
        };
    }

    /// <summary>docker ps syntax: "0.0.0.0:32768->80/tcp", "[::]:32768->80/tcp".</summary>
    private static PortBinding ParseBinding(string text)
    {
        var arrow = text.IndexOf("->", StringComparison.Ordinal);
        var host = text[..arrow];
        var target = text[(arrow + 2)..].Split('/');
        var colon = host.LastIndexOf(':');
        var address = host[..colon].Trim('[', ']');
        return new PortBinding(
            ushort.Parse(target[0], CultureInfo.InvariantCulture),
            target.Length > 1 ? target[1] : "tcp",
            IPAddress.Parse(address),
            ushort.Parse(host[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>The readable shape of expected.json.</summary>
    public static JsonArray ToJson(DesiredState state)
    {
        var services = new JsonArray();
        foreach (var s in state.Services)
        {
            var info = state.ServiceInfo[s.Key];
            var destinations = new JsonArray();
            foreach (var d in s.Destinations)
            {
                var owner = state.Owners[new DestinationRef(s.Key, d.Key)];
                destinations.Add(new JsonObject
                {
                    ["address"] = d.Key.ToString(),
                    ["forward"] = IpvsNames.Forward(d.Spec.Forward),
                    ["weight"] = d.Spec.Weight,
                    ["container"] = owner.ContainerName,
                    ["draining"] = owner.Draining,
                });
            }
            services.Add(new JsonObject
            {
                ["service"] = s.Key.ToString(),
                ["name"] = info.Name,
                ["holder"] = info.HolderName,
                ["scheduler"] = s.Service.Spec.Scheduler,
                ["flags"] = new JsonArray([.. IpvsNames.Flags(s.Service.Spec.Flags, s.Service.Spec.Scheduler).Select(f => (JsonNode)f)]),
                ["persistence"] = s.Service.Spec.PersistenceTimeout,
                ["destinations"] = destinations,
            });
        }
        return services;
    }

    public static string ErrorLines(DesiredState state) =>
        string.Join('\n', state.Errors.Select(e => e.Message).Concat(state.Conflicts.Select(c => c.Message)));

    /// <summary>Canonical indented text, so that a mismatch shows as a readable diff.</summary>
    public static string Render(JsonNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            node.WriteTo(writer);
        return Encoding.UTF8.GetString(stream.ToArray()).ReplaceLineEndings("\n");
    }
}
