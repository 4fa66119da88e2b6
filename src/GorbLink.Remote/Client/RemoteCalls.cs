using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Client;

/// <summary>
/// One step of a plan against one daemon: a REST call (or, for adoption, an ownership record). <see cref="What"/> is
/// the line logged when it is applied. <see cref="After"/> lists earlier steps (by index in the plan) that must have
/// succeeded first; a step whose prerequisite failed is skipped (the failure is already reported).
/// </summary>
public abstract record RemoteCall(string What)
{
    public IReadOnlyList<int> After { get; init; } = [];

    /// <summary>
    /// It acts on the entry as the pass read it: skipped when a prerequisite was resolved another way (a PATCH of the
    /// service that the daemon did not have, so the service was re-created and its backends with it).
    /// </summary>
    public bool InPlace { get; init; }

    public override string ToString() => What;
}

/// <summary>PUT /service/{vs}. On 409 the service is read back and verified (<see cref="RemotePlanner.PlanExistingService"/>).</summary>
/// <param name="RetryOnConflict">False for the re-create after a delete: a second 409 is left to the next pass.</param>
public sealed record CreateService(RemoteService Service, bool RetryOnConflict, string What) : RemoteCall(What);

/// <summary>PATCH /service/{vs}. Where the daemon has no such route (404, 405, 501), <see cref="Fallback"/> runs instead.</summary>
public sealed record UpdateService(string ServiceId, GorbServiceOptions Options, GorbServicePatch Patch, RemotePlan Fallback, string What) : RemoteCall(What);

/// <summary>DELETE /service/{vs}; 404 counts as done. <see cref="ForgetBackends"/> are no longer owned once it is gone.</summary>
public sealed record DeleteService(string ServiceId, IReadOnlyList<string> ForgetBackends, string What) : RemoteCall(What);

/// <summary>PUT /service/{vs}/{rs} with weight <see cref="SentWeight"/>. On 409 it is read back and adopted if it points at the same endpoint.</summary>
public sealed record CreateBackend(string ServiceId, RemoteBackend Backend, int SentWeight, string What) : RemoteCall(What);

/// <summary>DELETE /service/{vs}/{rs}; 404 counts as done.</summary>
public sealed record DeleteBackend(string ServiceId, string BackendId, string What) : RemoteCall(What);

/// <summary>PATCH /service/{vs}/{rs} with the desired weight.</summary>
/// <param name="AfterCreate">Right after this pass created it: skipped when the create turned out to exist already (409).</param>
public sealed record SetBackendWeight(string ServiceId, RemoteBackend Backend, bool AfterCreate, string What) : RemoteCall(What);

/// <summary>No call: the backend already points where it should; it is recorded as owned.</summary>
public sealed record AdoptBackend(string ServiceId, string BackendId, string What) : RemoteCall(What);

/// <summary>No call: a step that cannot be taken in this pass; reported as a failure, retried by the next pass.</summary>
public sealed record GiveUp(string What) : RemoteCall(What);

/// <summary>What one pass against one daemon will do, decided from the desired state, the daemon's view and the ownership file.</summary>
/// <param name="ForgetServices">Owned vsIDs the daemon no longer has (it restarted): forgotten, re-created if still wanted.</param>
/// <param name="ForgetBackends">Owned rsIDs the daemon no longer has.</param>
/// <param name="Calls">The steps, in order.</param>
/// <param name="Refusals">Desired entries left as they are because other clients hold them; one line each.</param>
public sealed record RemotePlan(
    IReadOnlyList<string> ForgetServices,
    IReadOnlyList<string> ForgetBackends,
    IReadOnlyList<RemoteCall> Calls,
    IReadOnlyList<string> Refusals)
{
    public static RemotePlan Empty { get; } = new([], [], [], []);
}
