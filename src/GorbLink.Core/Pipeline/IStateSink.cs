using GorbLink.Core.Labels;

namespace GorbLink.Core.Pipeline;

/// <summary>
/// Where desired state goes: this host's kernel, or one GORB daemon. The pipeline loop gives each sink the latest
/// snapshot; each sink has its own backoff, log-once reporting, status and ownership record, and sinks never wait on
/// each other.
/// </summary>
public interface IStateSink
{
    /// <summary>For logs and status: "kernel", or the daemon's name.</summary>
    string Name { get; }

    /// <summary>
    /// The VIP this sink gives containers without a vip label: the kernel uses the interface's address, a GORB daemon
    /// its own default. The pipeline builds the desired state for each sink's choice; the sink reads its own with
    /// <see cref="DesiredSnapshot.For"/>.
    /// </summary>
    DefaultVip DefaultVip { get; }

    /// <summary>
    /// Makes the sink match <paramref name="desired"/> (restricted to what it owns). Throws when the pass failed as a
    /// whole; single refused writes are in the outcome and retried by the next pass.
    /// </summary>
    Task<SinkPassOutcome> ApplyAsync(DesiredSnapshot desired, CancellationToken cancellationToken);
}

/// <summary>What one pass of one sink did, in the terms the loop needs; a sink may derive its own with more detail (the kernel's reconcile result).</summary>
/// <param name="Writes">Writes the sink accepted.</param>
/// <param name="Refused">Writes the sink refused (retried by a later pass); each is one line naming the object.</param>
/// <param name="NextWakeUp">When this sink needs another pass even with no change (drains, retries); null: no need.</param>
public record SinkPassOutcome(int Writes, IReadOnlyList<string> Refused, DateTimeOffset? NextWakeUp, TimeSpan Duration)
{
    public bool Succeeded => Refused.Count == 0;
}
