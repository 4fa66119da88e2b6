using System.Text.Json;
using GorbLink.Docker.Engine;

namespace GorbLink.Docker.Tests.Support;

/// <summary>Deserialises recorded API responses exactly as production reads the engine's answers: <see cref="DockerJsonContext"/>.</summary>
public static class RecordedJson
{
    public static ContainerInspect Inspect(string file) =>
        InspectJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testassets", "inspect", file)));

    public static ContainerInspect InspectJson(string json) =>
        JsonSerializer.Deserialize(json, DockerJsonContext.Default.ContainerInspect) ?? throw new InvalidDataException("null JSON");

    public static DockerEvent Event(string json) =>
        JsonSerializer.Deserialize(json, DockerJsonContext.Default.DockerEvent) ?? throw new InvalidDataException("null JSON");
}
