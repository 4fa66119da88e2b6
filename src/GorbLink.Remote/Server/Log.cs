using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

// Event ids of `gorblink serve`: 5101-5199. Never renumber: users filter on them (5112, the old direct weight write, is retired).
internal static partial class Log
{
    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "listening on {Addresses}; default service address {DefaultHost}")]
    public static partial void Listening(ILogger logger, string addresses, string defaultHost);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "-f: flushed the kernel's IPVS table ({Count} services), whoever made them")]
    public static partial void Flushed(ILogger logger, int count);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "adopted {Services} services and {Backends} backends from the last run; forgot {Forgotten} entries no longer in the kernel")]
    public static partial void Adopted(ILogger logger, int services, int backends, int forgotten);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "created service {Id}: {Key} {Scheduler}")]
    public static partial void ServiceCreated(ILogger logger, string id, string key, string scheduler);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Information, Message = "updated service {Id}: scheduler {Scheduler}, flags \"{Flags}\", persistence {Persistence} s")]
    public static partial void ServiceUpdated(ILogger logger, string id, string scheduler, string flags, uint persistence);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Information, Message = "deleted service {Id} ({Key}) with its backends")]
    public static partial void ServiceDeleted(ILogger logger, string id, string key);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Information, Message = "created backend {Id}: {Destination} in service {Service}, weight {Weight}")]
    public static partial void BackendCreated(ILogger logger, string id, string destination, string service, int weight);

    [LoggerMessage(EventId = 5108, Level = LogLevel.Information, Message = "backend {Id}: weight {Weight}{Note}")]
    public static partial void BackendWeight(ILogger logger, string id, int weight, string note);

    [LoggerMessage(EventId = 5109, Level = LogLevel.Information, Message = "deleted backend {Id} ({Destination}) of service {Service}")]
    public static partial void BackendDeleted(ILogger logger, string id, string destination, string service);

    [LoggerMessage(EventId = 5110, Level = LogLevel.Warning, Message = "backend {Id} ({Destination}) is down: {Detail}; weight 0 until it is up again")]
    public static partial void BackendDown(ILogger logger, string id, string destination, string detail);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "backend {Id} ({Destination}) is up; weight {Weight}")]
    public static partial void BackendUp(ILogger logger, string id, string destination, int weight);

    [LoggerMessage(EventId = 5113, Level = LogLevel.Error, Message = "health check of backend {Id} stopped: {Reason}")]
    public static partial void PulseCrashed(ILogger logger, string id, string reason);

    [LoggerMessage(EventId = 5114, Level = LogLevel.Warning, Message = "cannot write {Path}: {Reason}; a restart would not adopt the latest changes")]
    public static partial void StateWriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 5115, Level = LogLevel.Information, Message = "{Method} {Path} → {Status} {Error}")]
    public static partial void Request(ILogger logger, string method, string path, int status, string error);

    [LoggerMessage(EventId = 5117, Level = LogLevel.Error, Message = "--vip-interface: {Reason}")]
    public static partial void VipSyncFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5118, Level = LogLevel.Error, Message = "kernel pass failed: {Reason}; retrying in {Seconds} s, with doubling waits, and at every change (logged once until it recovers)")]
    public static partial void PassFailed(ILogger logger, string reason, double seconds);

    [LoggerMessage(EventId = 5119, Level = LogLevel.Information, Message = "kernel pass recovered: the kernel matches serve's state again")]
    public static partial void PassRecovered(ILogger logger);

    [LoggerMessage(EventId = 5120, Level = LogLevel.Critical, Message = "kernel passes stopped: {Reason}; serve no longer applies its state")]
    public static partial void PassStopped(ILogger logger, string reason);

    [LoggerMessage(EventId = 5116, Level = LogLevel.Error, Message = "{Method} {Path}: {Reason}")]
    public static partial void RequestFailed(ILogger logger, string method, string path, string reason);
}
