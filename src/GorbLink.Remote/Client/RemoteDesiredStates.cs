using GorbLink.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Client;

/// <summary>
/// The desired state in GORB's terms (as built for the daemons' default VIP), mapped once per built snapshot and shared
/// by every daemon's sink; as the
/// pipeline's report, it logs once what cannot be sent, and (when no kernel pipeline does it) label errors and conflicts.
/// </summary>
public sealed class RemoteDesiredStates : IDesiredStateReport
{
    private readonly bool _reportContainerProblems;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly OnceReporter _notSent = new();
    private readonly OnceReporter _containerProblems = new();
    private (DesiredSnapshot Source, RemoteDesiredState Mapped)? _latest;

    public RemoteDesiredStates(bool reportContainerProblems, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _reportContainerProblems = reportContainerProblems;
        _logger = logger;
    }

    /// <summary>The latest mapped state; null before the containers were first listed.</summary>
    public RemoteDesiredState? Latest { get { lock (_gate) return _latest?.Mapped; } }

    /// <summary>The GORB state of <paramref name="snapshot"/>, mapped once however many daemons ask.</summary>
    public RemoteDesiredState For(DesiredSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            if (_latest is { } latest && ReferenceEquals(latest.Source, snapshot)) return latest.Mapped;
        }
        var mapped = RemoteDesiredMapper.Map(snapshot.Revision, snapshot.For(RemoteDesiredMapper.DaemonDefault));
        lock (_gate)
        {
            if (_latest is null || _latest.Value.Source.Revision <= snapshot.Revision) _latest = (snapshot, mapped);
        }
        return mapped;
    }

    public void WaitingForSource()
    {
    }

    public void OnBuilt(DesiredSnapshot snapshot)
    {
        var mapped = For(snapshot);
        _notSent.Report(mapped.Problems, p => Log.NotSent(_logger, p));
        if (!_reportContainerProblems) return;
        var desired = snapshot.For(RemoteDesiredMapper.DaemonDefault);
        _containerProblems.Report(desired.Errors.Select(e => e.Message).Concat(desired.Conflicts.Select(c => c.Message)),
            m => Log.ContainerProblem(_logger, m));
    }
}
