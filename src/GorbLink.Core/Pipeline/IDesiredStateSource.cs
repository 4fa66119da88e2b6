using System.Collections.Immutable;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;

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

    /// <summary>
    /// The whole desired state as of now, computed from scratch (<paramref name="previous"/> only keeps stable choices
    /// stable), as each of <paramref name="defaultVips"/> sees it (the sinks' choices, in the sinks' order). A source whose
    /// state has no default VIP (serve's) builds one state for all.
    /// </summary>
    DesiredSnapshot Build(DesiredSnapshot? previous, IReadOnlyList<DefaultVip> defaultVips);
}

/// <summary>
/// A desired state and the source revision it reflects. <see cref="State"/> is as the first sink sees it; a source that
/// depends on the default VIP adds one state per sink's choice in <see cref="Views"/> (read them with <see cref="For"/>).
/// </summary>
public sealed record DesiredSnapshot(long Revision, DesiredState State)
{
    /// <summary>The state per default VIP; empty when the source's state is the same for every sink.</summary>
    public ImmutableDictionary<DefaultVip, DesiredState> Views { get; init; } = ImmutableDictionary<DefaultVip, DesiredState>.Empty;

    /// <summary>The state as a sink with <paramref name="defaultVip"/> sees it.</summary>
    /// <exception cref="InvalidOperationException">The snapshot was built without that default VIP (a sink the pipeline does not know).</exception>
    public DesiredState For(DefaultVip defaultVip)
    {
        if (Views.IsEmpty) return State;
        return Views.TryGetValue(defaultVip, out var state)
            ? state
            : throw new InvalidOperationException($"desired state revision {Revision} was not built for default VIP {defaultVip}");
    }
}
