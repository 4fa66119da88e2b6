using GorbLink.Core.Containers;
using GorbLink.Core.Desired;

namespace GorbLink.Core.Pipeline;

/// <summary>
/// The Docker watcher's side of the pipeline: the container store (which the watcher fills) read through the desired
/// state builder. Loaded once the watcher has listed the containers; every container change grows the revision.
/// </summary>
public sealed class ContainerDesiredStateSource : IDesiredStateSource
{
    private readonly ContainerStore _store;
    private readonly DesiredStateBuilder _builder;

    public ContainerDesiredStateSource(ContainerStore store, DesiredStateBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(builder);
        _store = store;
        _builder = builder;
    }

    public bool IsLoaded => _store.IsLoaded;

    public long Revision => _store.Revision;

    public Task WaitForChangeAsync(long seenRevision, CancellationToken cancellationToken) =>
        _store.WaitForChangeAsync(seenRevision, cancellationToken);

    public DesiredSnapshot Build(DesiredSnapshot? previous)
    {
        var containers = _store.Snapshot();
        return new DesiredSnapshot(containers.Revision, _builder.Build(containers, previous?.State));
    }
}
