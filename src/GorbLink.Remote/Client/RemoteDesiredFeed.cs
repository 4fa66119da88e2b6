using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Client;

/// <summary>
/// Recomputes the whole desired state whenever the container store changes (coalesced) and publishes it as one
/// versioned snapshot in GORB's terms. The daemon sinks read the latest snapshot when they are ready: a daemon that is
/// down misses nothing, because nothing is queued; it converges to whatever is latest when it answers again.
/// </summary>
public sealed class RemoteDesiredFeed
{
    private readonly ContainerStore _store;
    private readonly DesiredStateBuilder _builder;
    private readonly LabelOptions _labels;
    private readonly TimeSpan _coalesce;
    private readonly bool _reportContainerProblems;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private RemoteDesiredState? _current;
    private TaskCompletionSource _published = NewSignal();
    private HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <param name="labels">The agent's label options; the feed replaces the default VIP with the daemon's default address.</param>
    public RemoteDesiredFeed(ContainerStore store, LabelOptions labels, TimeSpan coalesceDelay, bool reportContainerProblems, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _labels = RemoteDesiredMapper.ForRemote(labels);
        _builder = new DesiredStateBuilder(_labels);
        _coalesce = coalesceDelay;
        _reportContainerProblems = reportContainerProblems;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The latest snapshot; null before the containers were first listed.</summary>
    public RemoteDesiredState? Current { get { lock (_gate) return _current; } }

    /// <summary>Completes with a snapshot newer than <paramref name="seenRevision"/>.</summary>
    public async Task<RemoteDesiredState> WaitForNewerAsync(long seenRevision, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_current is { } current && current.Revision > seenRevision) return current;
                signal = _published.Task;
            }
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!_store.IsLoaded)
        {
            var revision = _store.Revision;
            if (_store.IsLoaded) break;
            await _store.WaitForChangeAsync(revision, cancellationToken).ConfigureAwait(false);
        }
        DesiredState? previous = null;
        long published = 0;
        while (true)
        {
            var snapshot = _store.Snapshot();
            var desired = _builder.Build(snapshot, previous);
            previous = desired;
            var remote = RemoteDesiredMapper.Map(++published, desired, snapshot, _labels);
            Report(desired, remote);
            Publish(remote);
            await _store.WaitForChangeAsync(snapshot.Revision, cancellationToken).ConfigureAwait(false);
            if (_coalesce > TimeSpan.Zero) await Task.Delay(_coalesce, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Publish(RemoteDesiredState state)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            _current = state;
            signal = _published;
            _published = NewSignal();
        }
        signal.TrySetResult();
    }

    /// <summary>Logs what cannot be sent, and (when no kernel loop does it) label errors and conflicts, once each.</summary>
    private void Report(DesiredState desired, RemoteDesiredState remote)
    {
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var problem in remote.Problems)
        {
            now.Add(problem);
            if (!_reported.Contains(problem)) Log.NotSent(_logger, problem);
        }
        if (_reportContainerProblems)
        {
            foreach (var message in desired.Errors.Select(e => e.Message).Concat(desired.Conflicts.Select(c => c.Message)))
            {
                now.Add(message);
                if (!_reported.Contains(message)) Log.ContainerProblem(_logger, message);
            }
        }
        _reported = now;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
