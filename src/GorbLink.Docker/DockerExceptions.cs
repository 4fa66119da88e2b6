namespace GorbLink.Docker;

/// <summary>Base of the errors the Docker side reports to the executable (which maps them to an exit code).</summary>
public abstract class GorbLinkDockerException : Exception
{
    protected GorbLinkDockerException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>The Docker Engine could not be reached: socket absent, connection refused, or not answering as Docker.</summary>
public sealed class DockerUnavailableException : GorbLinkDockerException
{
    public DockerUnavailableException(Uri endpoint, string reason, Exception? innerException = null)
        : base($"Docker Engine at {endpoint} is unavailable: {reason}", innerException)
    {
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }
}

/// <summary>The engine speaks an API range GorbLink cannot use.</summary>
public abstract class DockerApiVersionException : GorbLinkDockerException
{
    protected DockerApiVersionException(string message, string engineVersion, Version engineApiVersion, Version engineMinApiVersion)
        : base(message)
    {
        EngineVersion = engineVersion;
        EngineApiVersion = engineApiVersion;
        EngineMinApiVersion = engineMinApiVersion;
    }

    public string EngineVersion { get; }
    /// <summary>The highest API version the engine supports.</summary>
    public Version EngineApiVersion { get; }
    /// <summary>The lowest API version the engine accepts.</summary>
    public Version EngineMinApiVersion { get; }
}

/// <summary>The engine's highest API version is below <see cref="DockerApiVersions.Minimum"/>.</summary>
public sealed class DockerApiTooOldException : DockerApiVersionException
{
    public DockerApiTooOldException(string engineVersion, Version engineApiVersion, Version engineMinApiVersion)
        : base($"Docker Engine {engineVersion} speaks API {engineApiVersion.ToString(2)} at most; GorbLink needs API {DockerApiVersions.Minimum.ToString(2)} or newer " +
               $"(Docker Engine 20.10+). Upgrade the engine.", engineVersion, engineApiVersion, engineMinApiVersion)
    {
    }
}

/// <summary>The engine no longer accepts <see cref="DockerApiVersions.Maximum"/>, the newest API GorbLink's models know.</summary>
public sealed class DockerApiTooNewException : DockerApiVersionException
{
    public DockerApiTooNewException(string engineVersion, Version engineApiVersion, Version engineMinApiVersion)
        : base($"Docker Engine {engineVersion} accepts API {engineMinApiVersion.ToString(2)}..{engineApiVersion.ToString(2)}; GorbLink speaks at most " +
               $"API {DockerApiVersions.Maximum.ToString(2)}. Upgrade GorbLink, or lower the engine's minimum (DOCKER_MIN_API_VERSION).",
               engineVersion, engineApiVersion, engineMinApiVersion)
    {
    }
}
