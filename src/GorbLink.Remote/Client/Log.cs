using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Client;

// Event ids of the remote sinks: 5001-5099. Never renumber: users filter on them.
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "{Daemon}: {Change}")]
    public static partial void Applied(ILogger logger, string daemon, string change);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "{Daemon}: dry run, would {Change}")]
    public static partial void WouldApply(ILogger logger, string daemon, string change);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "{Daemon}: {Reason}; the next pass retries")]
    public static partial void WriteRefused(ILogger logger, string daemon, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "{Daemon}: still refused: {Reason}")]
    public static partial void WriteRefusedAgain(ILogger logger, string daemon, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "{Daemon}: {Reason}")]
    public static partial void LeftAlone(ILogger logger, string daemon, string reason);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "{Daemon}: in sync with revision {Revision} in {Milliseconds:0.0} ms: {Writes} writes, {Failures} refused; {Services} services, {Backends} backends")]
    public static partial void PassApplied(ILogger logger, string daemon, long revision, double milliseconds, int writes, int failures, int services, int backends);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Debug, Message = "{Daemon}: in sync with revision {Revision} in {Milliseconds:0.0} ms, no changes")]
    public static partial void PassUnchanged(ILogger logger, string daemon, long revision, double milliseconds);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "{Reason}; changes wait as desired state, retry in {Backoff} (failure {Count} in a row)")]
    public static partial void Unavailable(ILogger logger, string reason, TimeSpan backoff, int count);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "{Daemon}: answering again after {Count} failed attempts")]
    public static partial void Recovered(ILogger logger, string daemon, int count);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "{Daemon}: circuit breaker opened for {Duration} after repeated failures; calls fail fast meanwhile")]
    public static partial void BreakerOpened(ILogger logger, string daemon, TimeSpan duration);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "{Daemon}: circuit breaker half-open, trying one call")]
    public static partial void BreakerHalfOpened(ILogger logger, string daemon);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "{Daemon}: circuit breaker closed, calls flow again")]
    public static partial void BreakerClosed(ILogger logger, string daemon);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Information, Message = "{Daemon}: {What} that this agent created is no longer on the daemon (restarted or deleted by someone); forgetting it, re-created if still wanted")]
    public static partial void Forgot(ILogger logger, string daemon, string what);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Debug, Message = "{Daemon}: drift found by the probe ({Reason}); reconciling now")]
    public static partial void Drift(ILogger logger, string daemon, string reason);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Warning, Message = "not sent to the daemons: {Problem}")]
    public static partial void NotSent(ILogger logger, string problem);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Error, Message = "{Problem}")]
    public static partial void ContainerProblem(ILogger logger, string problem);

    [LoggerMessage(EventId = 5017, Level = LogLevel.Warning, Message = "cannot write the remote status file {Path}: {Reason}")]
    public static partial void StatusWriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 5018, Level = LogLevel.Information, Message = "{Daemon}: first sync done: {Services} services, {Backends} backends")]
    public static partial void FirstSync(ILogger logger, string daemon, int services, int backends);
}
