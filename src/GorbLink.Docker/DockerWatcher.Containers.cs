using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using GorbLink.Core.Containers;
using GorbLink.Docker.Engine;
using Microsoft.Extensions.Logging;

namespace GorbLink.Docker;

/// <summary>The container side of the watcher: which events matter, refreshing one container, the full list, stop intents.</summary>
public sealed partial class DockerWatcher
{
    /// <summary>The container an event is about, or null when it needs no action.</summary>
    internal static string? RelevantContainerId(DockerEvent evt)
    {
        var action = evt.Action ?? "";
        switch (evt.Type)
        {
            case "container":
                return ContainerActions.Contains(action) || action.StartsWith("health_status", StringComparison.Ordinal)
                    ? NullIfEmpty(evt.Actor?.Id)
                    : null;
            case "network" when action is "connect" or "disconnect":
                string? container = null;
                evt.Actor?.Attributes?.TryGetValue("container", out container);
                return NullIfEmpty(container);
            default:
                return null;
        }
    }

    private async Task RefreshAsync(DockerConnection connection, string id, DockerEvent lastEvent, CancellationToken cancellationToken)
    {
        if (lastEvent.Type == "container" && lastEvent.Action == "destroy")
        {
            _stopIntents.Remove(id);
            _store.Remove(id);
            return;
        }

        ContainerInspect? inspect;
        try
        {
            inspect = await connection.Client.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerEngineApiException ex)
        {
            // The engine answered but could not inspect (e.g. a 500 while the container is being removed): the next
            // event or resync will catch up.
            Log.InspectFailed(_logger, Short(id), (int)ex.StatusCode, ex.EngineMessage);
            return;
        }

        if (inspect is null)
        {
            Log.ContainerGone(_logger, Short(id));
            _stopIntents.Remove(id);
            _store.Remove(id);
            return;
        }

        if (EngineAnswers.Unusable(id, inspect) is { } reason)
        {
            Log.ContainerSkipped(_logger, $"container {Short(id)}", reason);
            return;
        }
        _store.Upsert(ToRecord(inspect, lastEvent.Type == "container" ? lastEvent : null));
    }

    /// <summary>List all containers, inspect each, replace the store. Returns how many.</summary>
    private async Task<int> FullSyncAsync(DockerConnection connection, CancellationToken cancellationToken)
    {
        // One damaged entry in the engine's answer must not keep every healthy container from being programmed:
        // it is skipped with one line, and the rest load.
        var (ids, listProblems) = EngineAnswers.ListedIds(await connection.Client.ListContainersAsync(cancellationToken).ConfigureAwait(false));
        foreach (var problem in listProblems) Log.ContainerSkipped(_logger, "an entry of the container list", problem);
        var inspected = new ContainerInspect?[ids.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.InspectParallelism), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                // null: removed between list and inspect
                inspected[i] = await connection.Client.InspectContainerAsync(ids[i], ct).ConfigureAwait(false);
            }).ConfigureAwait(false);

        var records = new List<ContainerRecord>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            if (inspected[i] is not { } inspect) continue;
            if (EngineAnswers.Unusable(ids[i], inspect) is { } reason)
            {
                Log.ContainerSkipped(_logger, $"container {Short(ids[i])}", reason);
                continue;
            }
            records.Add(ToRecord(inspect, null));
        }

        var present = records.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in _stopIntents.Keys.Where(id => !present.Contains(id)).ToList()) _stopIntents.Remove(id);

        _store.ReplaceAll(records);
        var now = _time.GetUtcNow();
        UpdateStatus(s => s with { LastFullSyncAt = now, FullSyncCount = s.FullSyncCount + 1 });
        return records.Count;
    }

    private ContainerRecord ToRecord(ContainerInspect inspect, DockerEvent? lastEvent)
    {
        var record = ContainerMapper.Map(inspect, lastEvent);
        if (!_stopIntents.TryGetValue(inspect.Id, out var intent)) return record;

        // A kill/stop of this run while it still runs: keep draining it until it is gone, even across a resync.
        var startedAt = DockerTime.ParseUnixNanos(inspect.State?.StartedAt);
        var sameRun = intent.EventNanos is not { } at || startedAt is not { } started || started <= at;
        var fresh = _time.GetUtcNow() - intent.SeenAt < _options.StopIntentTimeout;
        if (record.Lifecycle == ContainerLifecycle.Running && sameRun && fresh && ContainerMapper.IsStopIntent(intent.Event, inspect.Config?.StopSignal))
            return record with { Lifecycle = ContainerLifecycle.Stopping };
        if (record.Lifecycle is not (ContainerLifecycle.Running or ContainerLifecycle.Stopping) || !sameRun || !fresh)
            _stopIntents.Remove(inspect.Id);
        return record;
    }

    private void TrackStopIntent(string containerId, DockerEvent evt)
    {
        if (evt.Type != "container") return;
        switch (evt.Action)
        {
            case "kill" or "stop":
                // Whether the signal really stops it is decided against the container's StopSignal at inspect time.
                _stopIntents[containerId] = new StopIntent(evt, DockerTime.EventNanos(evt.TimeNano, evt.Time), _time.GetUtcNow());
                break;
            case "start" or "restart" or "die" or "destroy":
                _stopIntents.Remove(containerId);
                break;
        }
    }
}
