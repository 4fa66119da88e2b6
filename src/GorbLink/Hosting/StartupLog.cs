using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// The start-up lines every mode writes in the same words, each under its own event ids (users filter on them):
/// `run` 1010/1011, `run -r` 1030/1031, `serve` 1020. The words are written once here; the modes differ only in ids.
/// </summary>
internal sealed class StartupLog
{
    private const string StartFailedMessage = "cannot start: {Reason}";
    private const string DockerConnectedMessage = "Docker Engine {EngineVersion} at {Endpoint}, speaking API {ApiVersion}";

    private readonly Action<ILogger, string, Exception?> _startFailed;
    private readonly Action<ILogger, string, string, string, Exception?>? _dockerConnected;

    private StartupLog(EventId startFailed, EventId? dockerConnected)
    {
        _startFailed = LoggerMessage.Define<string>(LogLevel.Critical, startFailed, StartFailedMessage);
        if (dockerConnected is { } docker)
            _dockerConnected = LoggerMessage.Define<string, string, string>(LogLevel.Information, docker, DockerConnectedMessage);
    }

    /// <summary>`gorblink run`: the kernel agent.</summary>
    public static StartupLog Agent { get; } = new(new EventId(1010, "StartFailed"), new EventId(1011, "DockerConnected"));

    /// <summary>`gorblink run -r`: the agent of GORB daemons (with or without --local).</summary>
    public static StartupLog RemoteAgent { get; } = new(new EventId(1030, "RemoteStartFailed"), new EventId(1031, "RemoteDockerConnected"));

    /// <summary>`gorblink serve`, which has no Docker side.</summary>
    public static StartupLog Serve { get; } = new(new EventId(1020, "ServeStartFailed"), null);

    public void StartFailed(ILogger logger, string reason) => _startFailed(logger, reason, null);

    public void DockerConnected(ILogger logger, string endpoint, string engineVersion, string apiVersion)
    {
        var log = _dockerConnected ?? throw new InvalidOperationException("this mode has no Docker side");
        log(logger, engineVersion, endpoint, apiVersion, null);
    }
}
