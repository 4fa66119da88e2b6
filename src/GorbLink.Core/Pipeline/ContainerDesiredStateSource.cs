using System.Collections.Immutable;
using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;

namespace GorbLink.Core.Pipeline;

/// <summary>
/// The Docker watcher's side of the pipeline: the container store (which the watcher fills) read through the desired
/// state builder, once per default VIP the sinks chose. Loaded once the watcher has listed the containers; every
/// container change grows the revision.
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

    public DesiredSnapshot Build(DesiredSnapshot? previous, IReadOnlyList<DefaultVip> defaultVips)
    {
        ArgumentNullException.ThrowIfNull(defaultVips);
        var containers = _store.Snapshot();
        if (defaultVips.Count == 0) return new DesiredSnapshot(containers.Revision, _builder.Build(containers, previous?.State));
        var views = ImmutableDictionary.CreateBuilder<DefaultVip, DesiredState>();
        foreach (var defaultVip in defaultVips)
        {
            if (views.ContainsKey(defaultVip)) continue;
            views.Add(defaultVip, _builder.Build(containers, previous?.Views.GetValueOrDefault(defaultVip), defaultVip));
        }
        return new DesiredSnapshot(containers.Revision, views[defaultVips[0]]) { Views = views.ToImmutable() };
    }
}
