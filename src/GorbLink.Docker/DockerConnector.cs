using System.Net.Sockets;
using GorbLink.Docker.Engine;
using Microsoft.Extensions.Logging;

namespace GorbLink.Docker;

/// <summary>An open, version-pinned Docker client plus what the engine told us about itself.</summary>
public sealed class DockerConnection : IDisposable
{
    internal DockerConnection(DockerEngineClient client, Uri endpoint, string engineVersion, Version engineApiVersion, Version engineMinApiVersion,
        Version apiVersion)
    {
        Client = client;
        Endpoint = endpoint;
        EngineVersion = engineVersion;
        EngineApiVersion = engineApiVersion;
        EngineMinApiVersion = engineMinApiVersion;
        ApiVersion = apiVersion;
    }

    /// <summary>A client whose every request is prefixed with <c>/v{ApiVersion}/</c>.</summary>
    public DockerEngineClient Client { get; }
    public Uri Endpoint { get; }
    /// <summary>The engine's product version, e.g. "26.1.5+dfsg1".</summary>
    public string EngineVersion { get; }
    public Version EngineApiVersion { get; }
    public Version EngineMinApiVersion { get; }
    /// <summary>The negotiated version: min(engine max, <see cref="DockerApiVersions.Maximum"/>).</summary>
    public Version ApiVersion { get; }

    public void Dispose() => Client.Dispose();
}

/// <summary>Connects to a Docker Engine and negotiates the API version (no work until <see cref="ConnectAsync"/>).</summary>
public sealed class DockerConnector
{
    private readonly ILogger<DockerConnector> _logger;

    public DockerConnector(ILogger<DockerConnector> logger)
    {
        _logger = logger;
    }

    /// <summary>Timeout of ordinary requests (not of the event stream, which has none).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Unversioned <c>GET /version</c>, negotiation, then a client pinned to the negotiated version.
    /// </summary>
    /// <exception cref="DockerUnavailableException">Socket absent, connection refused, timed out, or no Docker answer.</exception>
    /// <exception cref="DockerApiTooOldException">The engine's highest API is below <see cref="DockerApiVersions.Minimum"/>.</exception>
    /// <exception cref="DockerApiTooNewException">The engine no longer accepts <see cref="DockerApiVersions.Maximum"/>.</exception>
    public async Task<DockerConnection> ConnectAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        string engineVersion;
        string? apiVersion, minApiVersion;
        using (var probe = Build(endpoint, null))
        {
            try
            {
                var version = await probe.GetVersionAsync(cancellationToken).ConfigureAwait(false);
                engineVersion = string.IsNullOrEmpty(version.Version) ? "(unknown)" : version.Version;
                apiVersion = version.ApiVersion;
                minApiVersion = version.MinApiVersion;
            }
            catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
            {
                throw Unavailable(endpoint, ex);
            }
        }

        Version negotiated;
        try
        {
            negotiated = DockerApiVersions.Negotiate(engineVersion, apiVersion, minApiVersion);
        }
        catch (FormatException ex)
        {
            throw new DockerUnavailableException(endpoint, ex.Message, ex);
        }

        var engineMax = DockerApiVersions.ParseApiVersion(apiVersion)!;
        var engineMin = DockerApiVersions.ParseApiVersion(minApiVersion) ?? new Version(1, 12);
        Log.Negotiated(_logger, endpoint, engineVersion, engineMin.ToString(2), engineMax.ToString(2), negotiated.ToString(2));
        return new DockerConnection(Build(endpoint, negotiated), endpoint, engineVersion, engineMax, engineMin, negotiated);
    }

    private DockerEngineClient Build(Uri endpoint, Version? apiVersion)
    {
        try
        {
            return DockerEngineClient.Create(endpoint, apiVersion, RequestTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new DockerUnavailableException(endpoint, ex.Message, ex);
        }
    }

    /// <summary>True for failures that mean "the engine is not there / not answering", not our own cancellation.</summary>
    internal static bool IsUnavailable(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // a request timeout, not our token
        HttpRequestException or SocketException or IOException or TimeoutException => true,
        DockerEngineApiException => true, // something answered, but not as a Docker Engine we can use
        System.Text.Json.JsonException => true,
        _ => false,
    };

    internal static DockerUnavailableException Unavailable(Uri endpoint, Exception ex)
    {
        var reason = ex switch
        {
            OperationCanceledException => "request timed out",
            DockerEngineApiException api => $"HTTP {(int)api.StatusCode}: {api.EngineMessage}",
            HttpRequestException { InnerException: DockerSocketUnreachableException socket } => socket.Message,
            _ when Innermost(ex) is var inner && inner != ex && inner.Message != ex.Message => $"{ex.Message} ({inner.Message})",
            _ => ex.Message,
        };
        return new DockerUnavailableException(endpoint, reason, ex);
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }
}
