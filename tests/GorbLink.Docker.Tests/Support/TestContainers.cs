using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Images;

namespace GorbLink.Docker.Tests.Support;

/// <summary>Testcontainers builders for the local busybox image: never pulled, always labelled for cleanup.</summary>
public static class TestContainers
{
    /// <summary>A long-running container that exits promptly on SIGTERM and serves HTTP on 8080.</summary>
    public static readonly string[] Server = ["sh", "-c", "trap 'exit 0' TERM; httpd -p 8080 -h /www; while true; do sleep 1; done"];

    public static ContainerBuilder Busybox(DockerEnvironment env, string scenario, params string[] command)
    {
        var builder = new ContainerBuilder(DockerEnvironment.Image)
            .WithImagePullPolicy(PullPolicy.Never)
            .WithName(env.Name(scenario))
            .WithCommand(command.Length == 0 ? Server : command);
        foreach (var (key, value) in env.Labels(scenario)) builder = builder.WithLabel(key, value);
        return builder;
    }
}
