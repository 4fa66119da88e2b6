namespace GorbLink.Core.Reconcile;

public sealed record ReconcilerOptions
{
    /// <summary>--drain-timeout: how long a destination at weight 0 may keep connections before it is deleted anyway.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often connection counts are read again while destinations drain; the kernel sends no event when the last
    /// connection of a destination ends.
    /// </summary>
    public TimeSpan DrainPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>When the kernel refused some operations of a pass, the next pass comes this soon to retry them.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>--dry-run: log every change a pass would make, one line each; write nothing to the kernel or to disk.</summary>
    public bool DryRun { get; init; }

    /// <summary>The status file for <c>gorblink status</c>; null means status.json next to the ownership file.</summary>
    public string? StatusPath { get; init; }

    /// <summary>Write the status file after every pass.</summary>
    public bool WriteStatus { get; init; } = true;
}
