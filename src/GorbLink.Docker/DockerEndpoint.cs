namespace GorbLink.Docker;

/// <summary>Where the Docker Engine API is: the <c>--docker-host</c> flag, else <c>DOCKER_HOST</c>, else the local socket.</summary>
public static class DockerEndpoint
{
    public const string EnvironmentVariable = "DOCKER_HOST";
    public const string DefaultUnixSocket = "unix:///var/run/docker.sock";

    /// <summary>Resolves the endpoint from the flag, then the process's <c>DOCKER_HOST</c>, then the default socket.</summary>
    /// <exception cref="ArgumentException">The chosen value is not a usable Docker endpoint.</exception>
    public static Uri Resolve(string? flag) => Resolve(flag, Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>Same as <see cref="Resolve(string?)"/> with the environment given explicitly (tests).</summary>
    public static Uri Resolve(string? flag, string? dockerHostEnvironment)
    {
        if (!string.IsNullOrWhiteSpace(flag)) return Parse(flag.Trim(), "--docker-host");
        if (!string.IsNullOrWhiteSpace(dockerHostEnvironment)) return Parse(dockerHostEnvironment.Trim(), EnvironmentVariable);
        return new Uri(DefaultUnixSocket);
    }

    private static Uri Parse(string value, string source)
    {
        // A bare absolute path is taken as a unix socket, as a convenience for "--docker-host /run/docker.sock".
        if (value.StartsWith('/')) value = "unix://" + value;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
            throw new ArgumentException($"{source}: '{value}' is not a Docker endpoint; expected unix:///path/docker.sock or tcp://host:port.", source);
        switch (uri.Scheme)
        {
            case "unix":
                if (string.IsNullOrEmpty(uri.AbsolutePath) || uri.AbsolutePath == "/")
                    throw new ArgumentException($"{source}: '{value}' names no socket path; expected unix:///path/docker.sock.", source);
                return uri;
            case "tcp":
            case "http":
            case "https":
                if (string.IsNullOrEmpty(uri.Host))
                    throw new ArgumentException($"{source}: '{value}' names no host; expected tcp://host:port.", source);
                return uri;
            case "npipe":
                return uri;
            default:
                throw new ArgumentException(
                    $"{source}: scheme '{uri.Scheme}' of '{value}' is not supported; use unix://, tcp://, http:// or https:// (ssh:// is not supported).",
                    source);
        }
    }
}
