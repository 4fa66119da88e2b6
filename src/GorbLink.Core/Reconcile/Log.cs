using Microsoft.Extensions.Logging;

namespace GorbLink.Core.Reconcile;

// Event ids of GorbLink.Core: 3001-3099 the reconciler, 3101-3199 the reconcile loop, 3201-3299 VIP management (Vips/Log.cs).
// Never renumber: users filter on them.
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Change}")]
    public static partial void Applied(ILogger logger, string change);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "dry run, would apply: {Change}")]
    public static partial void WouldApply(ILogger logger, string change);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "the kernel refused: {Reason}; the next pass retries")]
    public static partial void OperationRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "{Reason}")]
    public static partial void ForeignServiceRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "{Reason}")]
    public static partial void ForeignDestinationLeftAlone(ILogger logger, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "reconciled in {Milliseconds:0.0} ms: {Summary}; {Failed} refused by the kernel, {Draining} draining")]
    public static partial void PassApplied(ILogger logger, double milliseconds, string summary, int failed, int draining);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Debug, Message = "reconciled in {Milliseconds:0.0} ms: no changes, {Draining} draining")]
    public static partial void PassUnchanged(ILogger logger, double milliseconds, int draining);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "service {Service} that GorbLink created is no longer in the kernel (deleted by someone else?); forgetting it")]
    public static partial void ForgotService(ILogger logger, string service);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Debug, Message = "destination {Destination} of service {Service} is no longer in the kernel; forgetting it")]
    public static partial void ForgotDestination(ILogger logger, string destination, string service);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "service {Service} is no longer wanted but holds destinations GorbLink did not add ({Foreign}); leaving the service in place")]
    public static partial void ServiceKeptForForeignDestinations(ILogger logger, string service, string foreign);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "could not write the status file {Path}: {Reason}")]
    public static partial void StatusWriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "the ownership file {Path} was written by an agent with label prefix \"{FilePrefix}\", this one uses \"{Prefix}\": the entries it lists are adopted, and those no container asks for anymore are removed")]
    public static partial void LabelPrefixChanged(ILogger logger, string path, string filePrefix, string prefix);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "ownership file {Path}: GorbLink created {Services} services and {Destinations} destinations before; adopting those still in the kernel")]
    public static partial void OwnershipLoaded(ILogger logger, string path, int services, int destinations);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "no ownership file at {Path}: GorbLink owns nothing in the kernel yet")]
    public static partial void OwnershipFileMissing(ILogger logger, string path);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "cleanup: {Summary}; {Failed} refused by the kernel, {Kept} services kept for destinations GorbLink did not add")]
    public static partial void CleanupDone(ILogger logger, string summary, int failed, int kept);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Information, Message = "service {Service} is no longer refused")]
    public static partial void RefusalResolved(ILogger logger, string service);

    [LoggerMessage(EventId = 3017, Level = LogLevel.Debug, Message = "the kernel refused again: {Reason}")]
    public static partial void OperationRefusedAgain(ILogger logger, string reason);

    [LoggerMessage(EventId = 3018, Level = LogLevel.Debug, Message = "dry run: the same {Count} changes as the previous pass")]
    public static partial void DryRunUnchanged(ILogger logger, int count);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "{Reason}")]
    public static partial void LabelError(ILogger logger, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "{Reason}")]
    public static partial void Conflict(ILogger logger, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "reconcile pass failed ({Failures} in a row): {Reason}; retrying in {Delay}")]
    public static partial void PassFailed(ILogger logger, Exception exception, int failures, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "reconcile works again after {Failures} failed passes")]
    public static partial void Recovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "waiting for the initial container list before programming IPVS")]
    public static partial void WaitingForContainers(ILogger logger);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "first reconcile pass done in {Milliseconds:0.0} ms: {Services} services, {Summary}")]
    public static partial void FirstPass(ILogger logger, double milliseconds, int services, string summary);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Critical, Message = "reconcile stopped: {Reason}")]
    public static partial void Fatal(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Information, Message = "container {Container} is registered again")]
    public static partial void ContainerErrorResolved(ILogger logger, string container);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Error, Message = "after the reconcile pass, {Observer} failed: {Reason}")]
    public static partial void ObserverFailed(ILogger logger, Exception exception, string observer, string reason);
}
