using GorbLink.Core.Desired;

namespace GorbLink.Core.Pipeline;

/// <summary>
/// One source of desired state: the Docker watcher's container store, or serve's REST API. Its changes only mark it
/// dirty (the revision grows); the pipeline loop reads a whole new state when it is ready (level-triggered).
/// </summary>
public interface IDesiredStateSource
{
    /// <summary>False until the initial state is known (Docker: the first container list). Nothing is applied before.</summary>
    bool IsLoaded { get; }

    /// <summary>Grows with every change.</summary>
    long Revision { get; }

    /// <summary>Completes when <see cref="Revision"/> is past <paramref name="seenRevision"/> (or loading completes).</summary>
    Task WaitForChangeAsync(long seenRevision, CancellationToken cancellationToken);

    /// <summary>The whole desired state as of now, computed from scratch (<paramref name="previous"/> only keeps stable choices stable).</summary>
    DesiredSnapshot Build(DesiredSnapshot? previous);
}

/// <summary>A desired state and the source revision it reflects.</summary>
public sealed record DesiredSnapshot(long Revision, DesiredState State);
