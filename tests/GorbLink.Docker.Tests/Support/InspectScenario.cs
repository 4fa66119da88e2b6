using System.Collections;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Docker.DotNet.Models;
using GorbLink.Docker.Engine;
using GorbLink.Core.Containers;
using GorbLink.Core.Labels;

namespace GorbLink.Docker.Tests.Support;

/// <summary>
/// One folder of testassets/inspect-scenarios: containers.json, an array of Docker Engine container-inspect objects
/// (GET /containers/{id}/json, API 1.45 shape, trimmed to the fields that matter), and the expectation in the format of
/// Core's label scenarios (<see cref="LabelScenario"/>, testassets/labels): expected.json (services; absent = none) and
/// expected-errors.txt (label errors then conflicts, one line each; absent = none). Optional options.json:
/// <c>{"prefix", "exposeByDefault", "defaultVip", "interfaceAddresses"}</c>; without it, <see cref="LabelScenario.DefaultOptions"/>.
/// </summary>
internal sealed partial class InspectScenario
{
    private InspectScenario(string name, string directory)
    {
        Name = name;
        Directory = directory;
    }

    public string Name { get; }
    public string Directory { get; }
    public LabelOptions Options { get; private init; } = LabelScenario.DefaultOptions;
    public IReadOnlyList<ContainerInspect> Inspects { get; private init; } = [];

    public static string AssetRoot => Path.Combine(AppContext.BaseDirectory, "testassets", "inspect-scenarios");

    /// <summary>The same folder in the source tree, for GORBLINK_UPDATE_SCENARIOS=1.</summary>
    public static string SourceRoot => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(ThisFile()))!, "testassets", "inspect-scenarios");

    private static string ThisFile([CallerFilePath] string path = "") => path;

    public static IEnumerable<string> Names() =>
        System.IO.Directory.GetDirectories(AssetRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static InspectScenario Load(string name)
    {
        var dir = Path.Combine(AssetRoot, name);
        var optionsFile = Path.Combine(dir, "options.json");
        var containers = ReadJson(Path.Combine(dir, "containers.json")).AsArray();
        var inspects = new List<ContainerInspect>();
        foreach (var node in containers)
        {
            var o = node!.AsObject();
            var where = $"{name}/containers.json[{inspects.Count}] ({(string?)o["Name"]})";
            CheckShape(o, where);
            // Exactly as production reads the engine's answer.
            inspects.Add(RecordedJson.InspectJson(o.ToJsonString()));
        }
        return new InspectScenario(name, dir)
        {
            Options = File.Exists(optionsFile) ? ParseOptions(ReadJson(optionsFile)) : LabelScenario.DefaultOptions,
            Inspects = inspects,
        };
    }

    /// <summary>The production step from the engine's answer to Core's record.</summary>
    public IReadOnlyList<ContainerRecord> MapContainers() => [.. Inspects.Select(i => ContainerMapper.Map(i))];

    public string? ReadExpectedServices() => LabelScenario.ReadExpectedServices(Directory);

    public string ReadExpectedErrors() => LabelScenario.ReadExpectedErrors(Directory);

    private static JsonNode ReadJson(string file) => LabelScenario.ReadJson(file);

    private static readonly HashSet<string> OptionFields = ["prefix", "exposeByDefault", "defaultVip", "interfaceAddresses"];

    private static LabelOptions ParseOptions(JsonNode node)
    {
        var o = node.AsObject();
        foreach (var (key, _) in o)
        {
            if (!OptionFields.Contains(key)) throw new InvalidDataException($"options.json: unknown field \"{key}\"");
        }
        return new LabelOptions
        {
            Prefix = (string?)o["prefix"] ?? LabelOptions.DefaultPrefix,
            ExposeByDefault = (bool?)o["exposeByDefault"] ?? false,
            DefaultVip = o["defaultVip"] is { } vip ? IPAddress.Parse((string)vip!) : null,
            InterfaceAddresses = o["interfaceAddresses"] is JsonArray a
                ? [.. a.Select(x => IPAddress.Parse((string)x!))]
                : LabelScenario.DefaultOptions.InterfaceAddresses,
        };
    }

    // ---- Shape: every file is an inspect answer the engine could have given ----

    /// <summary>Fields Engine 26.1 (API 1.45) always returns, which the mapper or the label rules read.</summary>
    private static readonly (string Path, string[] Fields)[] Required =
    [
        ("", ["Id", "Created", "Name", "State", "Config", "NetworkSettings", "HostConfig"]),
        ("State", ["Status", "Running", "Paused", "Restarting"]),
        ("Config", ["Image", "Labels"]),
        ("NetworkSettings", ["Ports", "Networks"]),
        ("HostConfig", ["NetworkMode"]),
    ];

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex ContainerId();

    /// <summary>
    /// Refuses a file that is not inspect-shaped: a field Docker's API does not have (a typo such as "Label" would
    /// otherwise deserialise to nothing and the scenario would test less than it says), a required field missing, an id
    /// that is not 64 hex digits, a name without Docker's leading "/", State booleans that contradict State.Status.
    /// </summary>
    private static void CheckShape(JsonObject o, string where)
    {
        CheckFields(o, typeof(ContainerInspectResponse), where);
        foreach (var (path, fields) in Required)
        {
            var parent = path.Length == 0 ? o : o[path] as JsonObject
                ?? throw new InvalidDataException($"{where}: {path} is missing or not an object");
            foreach (var field in fields)
            {
                if (!parent.ContainsKey(field)) throw new InvalidDataException($"{where}: {(path.Length == 0 ? "" : path + ".")}{field} is missing");
            }
        }
        if (!ContainerId().IsMatch((string?)o["Id"] ?? "")) throw new InvalidDataException($"{where}: Id is not 64 lowercase hex digits");
        if (!((string?)o["Name"] ?? "").StartsWith('/')) throw new InvalidDataException($"{where}: Name does not start with \"/\"");
        var state = o["State"]!.AsObject();
        var status = (string?)state["Status"];
        var running = (bool?)state["Running"] ?? false;
        var paused = (bool?)state["Paused"] ?? false;
        var restarting = (bool?)state["Restarting"] ?? false;
        var consistent = status switch
        {
            "running" => running && !paused && !restarting,
            "paused" => running && paused && !restarting,
            "restarting" => running && !paused && restarting,
            "created" or "exited" or "dead" or "removing" => !running && !paused && !restarting,
            _ => false,
        };
        if (!consistent) throw new InvalidDataException($"{where}: State.Status \"{status}\" and Running/Paused/Restarting disagree");
        if (state["Health"] is not null && o["Config"]?["Healthcheck"] is null)
            throw new InvalidDataException($"{where}: State.Health without Config.Healthcheck");
    }

    /// <summary>
    /// Every key must be the JSON name of a property of <paramref name="type"/>: Docker.DotNet.Enhanced's model of the
    /// whole API, generated from the engine's swagger (GorbLink's own model has only the fields it reads).
    /// </summary>
    private static void CheckFields(JsonNode? node, Type type, string where)
    {
        if (node is null) return;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(DateTime) || type == typeof(TimeSpan) ||
            type == typeof(object) || type == typeof(EmptyStruct) && node is JsonObject { Count: 0 })
            return;
        if (DictionaryValueType(type) is { } valueType)
        {
            foreach (var (key, value) in node.AsObject()) CheckFields(value, valueType, $"{where}.{key}");
            return;
        }
        if (ListElementType(type) is { } elementType)
        {
            var i = 0;
            foreach (var item in node.AsArray()) CheckFields(item, elementType, $"{where}[{i++}]");
            return;
        }
        var properties = JsonProperties(type);
        foreach (var (key, value) in node.AsObject())
        {
            if (!properties.TryGetValue(key, out var property))
                throw new InvalidDataException($"{where}: \"{key}\" is not a field of the Docker API's {type.Name}");
            CheckFields(value, property.PropertyType, $"{where}.{key}");
        }
    }

    private static Dictionary<string, PropertyInfo> JsonProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name, StringComparer.Ordinal);

    private static Type? DictionaryValueType(Type type)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dictionary?.GetGenericArguments() is [var key, var value] && key == typeof(string) ? value : null;
    }

    private static Type? ListElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (!typeof(IEnumerable).IsAssignableFrom(type)) return null;
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }
}
