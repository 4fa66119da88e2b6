using System.Reflection;
using System.Text;
using Docker.DotNet.Models;

namespace GorbLink.Docker.Tests.Support;

/// <summary>
/// Deserialises recorded API responses exactly as Docker.DotNet.Enhanced does: through its internal
/// <c>Docker.DotNet.JsonSerializer</c> (the source-generated <c>DockerModelsJsonSerializerContext</c> plus the
/// library's converters, e.g. for enums), reached by reflection.
/// </summary>
public static class RecordedJson
{
    private static readonly Lazy<(object Instance, MethodInfo Deserialize)> Serializer = new(() =>
    {
        var type = typeof(ContainerInspectResponse).Assembly.GetType("Docker.DotNet.JsonSerializer", throwOnError: true)!;
        var instance = type.GetProperty("Instance", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        var deserialize = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Single(m => m.Name == "Deserialize" && m.GetParameters() is [{ ParameterType: var p }] && p == typeof(byte[]));
        return (instance, deserialize);
    });

    public static T Deserialize<T>(string json) where T : class
    {
        var (instance, deserialize) = Serializer.Value;
        try
        {
            return (T)(deserialize.MakeGenericMethod(typeof(T)).Invoke(instance, [Encoding.UTF8.GetBytes(json)]) ?? throw new InvalidDataException("null JSON"));
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    public static ContainerInspectResponse Inspect(string file) =>
        Deserialize<ContainerInspectResponse>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testassets", "inspect", file)));

    public static Message Event(string json) => Deserialize<Message>(json);
}
