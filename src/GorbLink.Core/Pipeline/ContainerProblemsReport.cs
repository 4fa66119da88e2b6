using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Reconcile;
using Microsoft.Extensions.Logging;

namespace GorbLink.Core.Pipeline;

/// <summary>
/// Logs label errors and conflicts of the containers the first time a desired state has them, not on every build, and
/// says when a container that had one is registered again. Logged once per agent, by the pipeline that feeds the kernel
/// (or, without one, the GORB daemons'), as the sink with <paramref name="defaultVip"/> sees them.
/// </summary>
public sealed class ContainerProblemsReport(ILogger logger, DefaultVip defaultVip = default) : IDesiredStateReport
{
    private readonly OnceReporter _errors = new();
    private readonly OnceReporter _conflicts = new();
    private readonly OnceReporter _containers = new();

    public void WaitingForSource() => Log.WaitingForContainers(logger);

    public void OnBuilt(DesiredSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Report(snapshot.For(defaultVip));
    }

    public void Report(DesiredState desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        _errors.Report(desired.Errors.Select(e => e.Message), m => Log.LabelError(logger, m));
        _conflicts.Report(desired.Conflicts.Select(c => c.Message), m => Log.Conflict(logger, m));
        var problems = desired.Errors.Select(e => (e.ContainerId, $"{e.ContainerName} ({e.ShortId})"))
            .Concat(desired.Conflicts.Select(c => (c.ContainerId, $"{c.ContainerName} ({c.ShortId})")));
        foreach (var (id, name) in _containers.Report(problems, _ => { }))
        {
            if (desired.Contains(id)) Log.ContainerErrorResolved(logger, name);
        }
    }
}
