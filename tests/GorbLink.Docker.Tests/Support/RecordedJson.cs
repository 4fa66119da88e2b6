using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Docker.DotNet.Models;

namespace GorbLink.Docker.Tests.Support;

/// <summary>
/// Deserialises recorded API responses exactly as Docker.DotNet.Enhanced does: with its own source-generated
/// <c>DockerModelsJsonSerializerContext</c> (internal, so reached by reflection).
/// </summary>
public static class RecordedJson
{
    private static readonly Lazy<JsonSerializerContext> Context = new(() =>
    {
        var type = typeof(ContainerInspectResponse).Assembly.GetType("Docker.DotNet.Models.DockerModelsJsonSerializerContext", throwOnError: true)!;
        var defaultProperty = type.GetProperty("Default", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        return (JsonSerializerContext)defaultProperty.GetValue(null)!;
    });

    public static T Deserialize<T>(string json) where T : class =>
        (T)(JsonSerializer.Deserialize(json, typeof(T), Context.Value) ?? throw new InvalidDataException("null JSON"));

    public static ContainerInspectResponse Inspect(string file) =>
        Deserialize<ContainerInspectResponse>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testassets", "inspect", file)));

    public static Message Event(string json) => Deserialize<Message>(json);
}
