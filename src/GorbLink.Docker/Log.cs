using Microsoft.Extensions.Logging;

namespace GorbLink.Docker;

/// <summary>Log messages of the Docker side. Event ids 2000-2099 are stable: operators filter on them.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Docker Engine {EngineVersion} at {Endpoint} accepts API {MinApiVersion}..{MaxApiVersion}; speaking {ApiVersion}")]
    public static partial void Negotiated(ILogger logger, Uri endpoint, string engineVersion, string minApiVersion, string maxApiVersion, string apiVersion);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information,
        Message = "Watching Docker at {Endpoint} (engine {EngineVersion}, API {ApiVersion}): {ContainerCount} containers loaded")]
    public static partial void Watching(ILogger logger, Uri endpoint, string engineVersion, string apiVersion, int containerCount);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information,
        Message = "Reconnected to Docker at {Endpoint} (engine {EngineVersion}, API {ApiVersion}): {ContainerCount} containers relisted")]
    public static partial void Reconnected(ILogger logger, Uri endpoint, string engineVersion, string apiVersion, int containerCount);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Lost the Docker event stream ({Reason}); reconnecting in {Delay}")]
    public static partial void StreamLost(ILogger logger, string reason, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Docker still unavailable (attempt {Attempt}): {Reason}; retrying in {Delay}")]
    public static partial void ReconnectFailed(ILogger logger, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Docker event {Type} {Action} {ActorId} (relevant: {Relevant})")]
    public static partial void EventReceived(ILogger logger, string type, string action, string actorId, bool relevant);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, Message = "Container {ContainerId} is gone (inspect returned 404)")]
    public static partial void ContainerGone(ILogger logger, string containerId);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Could not inspect container {ContainerId}: HTTP {StatusCode} {Body}; the next resync will retry")]
    public static partial void InspectFailed(ILogger logger, string containerId, int statusCode, string body);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Debug, Message = "Full resync: {ContainerCount} containers")]
    public static partial void Resynced(ILogger logger, int containerCount);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning,
        Message = "More than {Capacity} Docker events queued; dropped the excess and resynchronising with a full list")]
    public static partial void QueueOverflow(ILogger logger, int capacity);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Critical, Message = "Unsupported Docker Engine: {Reason}")]
    public static partial void EngineUnsupported(ILogger logger, string reason);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Critical, Message = "No Docker Engine at {Endpoint} at startup: {Reason}")]
    public static partial void UnavailableAtStartup(ILogger logger, Uri endpoint, string reason);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Debug,
        Message = "Could not read the daemon's clock ({Reason}); subscribing without 'since'")]
    public static partial void DaemonTimeUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Docker watcher stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Warning, Message = "Skipped {What}: {Reason}; the other containers are loaded")]
    public static partial void ContainerSkipped(ILogger logger, string what, string reason);
}
