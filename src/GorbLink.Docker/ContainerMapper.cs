using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Docker.Engine;

namespace GorbLink.Docker;

/// <summary>
/// Turns a Docker inspect result into Core's engine-neutral <see cref="ContainerRecord"/>. Reads only fields that
/// exist from API 1.41 through 1.54: addresses come from <c>NetworkSettings.Networks[*]</c>, never from the legacy
/// top-level <c>NetworkSettings.IPAddress</c> that API 1.52 removed.
/// </summary>
public static class ContainerMapper
{
    /// <summary>Maps an inspect result; <paramref name="lastEvent"/> (the latest event for this container) refines the lifecycle.</summary>
    public static ContainerRecord Map(ContainerInspect inspect, DockerEvent? lastEvent = null)
    {
        ArgumentNullException.ThrowIfNull(inspect);
        // The watcher skips such answers before mapping (EngineAnswers); a record without an id would be unkeyable.
        if (string.IsNullOrWhiteSpace(inspect.Id)) throw new ArgumentException("the engine's inspect answer has no Id", nameof(inspect));
        var config = inspect.Config;
        var lifecycle = MapLifecycle(inspect.State);
        if (lastEvent is not null)
            lifecycle = ApplyEvent(lifecycle, lastEvent, DockerTime.ParseUnixNanos(inspect.State?.StartedAt), config?.StopSignal);

        return new ContainerRecord
        {
            Id = inspect.Id,
            Name = (inspect.Name ?? "").TrimStart('/'),
            Image = string.IsNullOrEmpty(config?.Image) ? inspect.Image ?? "" : config.Image,
            Created = DockerTime.ParseUnixNanos(inspect.Created) is { } created ? DockerTime.ToDateTimeOffset(created) : default,
            // A label is a string; a null value in the engine's answer is damaged and read as empty, so that an error
            // about it still names a value.
            Labels = config?.Labels is { } labels
                ? labels.ToImmutableDictionary(l => l.Key, l => l.Value ?? "", StringComparer.Ordinal)
                : ImmutableDictionary<string, string>.Empty,
            Lifecycle = lifecycle,
            Health = MapHealth(inspect.State?.Health),
            ExposedPorts = MapExposedPorts(config?.ExposedPorts),
            PublishedPorts = MapPublishedPorts(inspect.NetworkSettings?.Ports),
            Networks = MapNetworks(inspect.NetworkSettings?.Networks),
            NetworkMode = NormalizeNetworkMode(inspect.HostConfig?.NetworkMode),
        };
    }

    /// <summary>Docker's <c>State.Status</c> (falling back to the booleans on engines that omit it).</summary>
    public static ContainerLifecycle MapLifecycle(InspectState? state)
    {
        if (state is null) return ContainerLifecycle.Dead;
        switch (state.Status?.ToUpperInvariant())
        {
            case "CREATED": return ContainerLifecycle.Created;
            case "RUNNING": return ContainerLifecycle.Running;
            case "PAUSED": return ContainerLifecycle.Paused;
            case "RESTARTING": return ContainerLifecycle.Restarting;
            case "EXITED": return ContainerLifecycle.Exited;
            case "DEAD": return ContainerLifecycle.Dead;
            case "REMOVING": return ContainerLifecycle.Dead; // being removed; it will not serve again
        }

        // Paused and restarting containers also have Running=true, so test those first.
        if (state.Dead) return ContainerLifecycle.Dead;
        if (state.Paused) return ContainerLifecycle.Paused;
        if (state.Restarting) return ContainerLifecycle.Restarting;
        if (state.Running) return ContainerLifecycle.Running;
        return DockerTime.ParseUnixNanos(state.StartedAt) is null ? ContainerLifecycle.Created : ContainerLifecycle.Exited;
    }

    /// <summary><c>State.Health.Status</c>: starting, healthy, unhealthy; none or absent means no healthcheck.</summary>
    public static ContainerHealth MapHealth(InspectHealth? health) => health?.Status?.ToUpperInvariant() switch
    {
        "STARTING" => ContainerHealth.Starting,
        "HEALTHY" => ContainerHealth.Healthy,
        "UNHEALTHY" => ContainerHealth.Unhealthy,
        _ => ContainerHealth.None,
    };

    /// <summary>
    /// Events and inspect race: the container may still run when we inspect after a <c>kill</c>/<c>stop</c>, or
    /// Docker may not have recorded a <c>die</c>/<c>pause</c> yet. The event wins over the inspected state of the same
    /// run (as in clusterf); an event older than the run we inspected (<paramref name="startedAtNanos"/>) is stale and
    /// changes nothing.
    /// </summary>
    public static ContainerLifecycle ApplyEvent(ContainerLifecycle inspected, DockerEvent evt, long? startedAtNanos, string? stopSignal)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (!string.Equals(evt.Type, "container", StringComparison.Ordinal)) return inspected;
        var eventNanos = DockerTime.EventNanos(evt.TimeNano, evt.Time);
        if (eventNanos is { } at && startedAtNanos is { } started && started > at) return inspected;

        switch (evt.Action)
        {
            case "kill" or "stop" when IsStopIntent(evt, stopSignal):
                return inspected == ContainerLifecycle.Running ? ContainerLifecycle.Stopping : inspected;
            case "die":
                return inspected is ContainerLifecycle.Running or ContainerLifecycle.Paused or ContainerLifecycle.Stopping
                    ? ContainerLifecycle.Exited
                    : inspected;
            case "pause":
                return inspected == ContainerLifecycle.Running ? ContainerLifecycle.Paused : inspected;
            default:
                return inspected;
        }
    }

    /// <summary>
    /// True for a <c>stop</c>, and for a <c>kill</c> whose signal ends the process: KILL, TERM, INT, QUIT or the
    /// container's own stop signal. <c>docker kill -s HUP</c> (a reload) is not a stop.
    /// </summary>
    public static bool IsStopIntent(DockerEvent evt, string? stopSignal)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.Action == "stop") return true;
        if (evt.Action != "kill") return false;
        string? signal = null;
        evt.Actor?.Attributes?.TryGetValue("signal", out signal);
        var number = SignalNumber(signal);
        if (number is null) return true; // unknown signal attribute: assume the common case, a stop
        if (number is 2 or 3 or 9 or 15) return true;
        return SignalNumber(stopSignal) is { } own && own == number;
    }

    /// <summary>"15", "TERM", "SIGTERM" → 15 (Linux numbering); null when absent or unknown.</summary>
    internal static int? SignalNumber(string? signal)
    {
        if (string.IsNullOrWhiteSpace(signal)) return null;
        var s = signal.Trim().ToUpperInvariant();
        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        if (s.StartsWith("SIG", StringComparison.Ordinal)) s = s[3..];
        return s switch
        {
            "HUP" => 1, "INT" => 2, "QUIT" => 3, "ILL" => 4, "TRAP" => 5, "ABRT" => 6, "IOT" => 6, "BUS" => 7, "FPE" => 8,
            "KILL" => 9, "USR1" => 10, "SEGV" => 11, "USR2" => 12, "PIPE" => 13, "ALRM" => 14, "TERM" => 15,
            "STKFLT" => 16, "CHLD" => 17, "CONT" => 18, "STOP" => 19, "TSTP" => 20, "TTIN" => 21, "TTOU" => 22,
            "URG" => 23, "XCPU" => 24, "XFSZ" => 25, "VTALRM" => 26, "PROF" => 27, "WINCH" => 28, "IO" => 29,
            "POLL" => 29, "PWR" => 30, "SYS" => 31,
            _ => null,
        };
    }

    /// <summary><c>Config.ExposedPorts</c> keys, normalised to "80/tcp" and sorted.</summary>
    public static ImmutableArray<string> MapExposedPorts(IReadOnlyDictionary<string, EmptyObject>? exposed)
    {
        if (exposed is null || exposed.Count == 0) return [];
        // Parsed once, de-duplicated by a set and sorted once: O(n log n) for `EXPOSE 1-65535`.
        var distinct = new HashSet<(ushort Port, string Protocol)>();
        foreach (var key in exposed.Keys)
            if (TryParsePortKey(key, out var port, out var protocol))
                distinct.Add((port, protocol));
        var sorted = distinct.ToArray();
        Array.Sort(sorted, static (a, b) => a.Port != b.Port ? a.Port.CompareTo(b.Port) : string.CompareOrdinal(a.Protocol, b.Protocol));
        return [.. sorted.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Port}/{p.Protocol}"))];
    }

    /// <summary>
    /// <c>NetworkSettings.Ports</c>: one <see cref="PortBinding"/> per host binding. A null list means exposed but
    /// not published. HostIp "" means 0.0.0.0. The 0.0.0.0 and :: bindings Docker makes for one <c>-p</c> are both
    /// kept (Core merges them per address family).
    /// </summary>
    public static ImmutableArray<PortBinding> MapPublishedPorts(IReadOnlyDictionary<string, List<InspectPortBinding>?>? ports)
    {
        if (ports is null || ports.Count == 0) return [];
        var result = new List<PortBinding>();
        var seen = new HashSet<PortBinding>(); // `-p 1-65535` gives 131070 bindings: no list scans
        foreach (var (key, bindings) in ports)
        {
            if (bindings is null || !TryParsePortKey(key, out var containerPort, out var protocol)) continue;
            foreach (var binding in bindings)
            {
                if (binding is null) continue;
                if (!ushort.TryParse(binding.HostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var hostPort) || hostPort == 0) continue;
                IPAddress hostAddress;
                if (string.IsNullOrEmpty(binding.HostIp)) hostAddress = IPAddress.Any;
                else if (!IPAddress.TryParse(binding.HostIp.Trim('[', ']'), out hostAddress!)) continue;
                var candidate = new PortBinding(containerPort, protocol, hostAddress, hostPort);
                if (seen.Add(candidate)) result.Add(candidate);
            }
        }

        result.Sort(static (a, b) =>
        {
            var c = a.ContainerPort.CompareTo(b.ContainerPort);
            if (c == 0) c = string.CompareOrdinal(a.Protocol, b.Protocol);
            if (c == 0) c = a.HostAddress.AddressFamily.CompareTo(b.HostAddress.AddressFamily);
            if (c == 0) c = string.CompareOrdinal(a.HostAddress.ToString(), b.HostAddress.ToString());
            if (c == 0) c = a.HostPort.CompareTo(b.HostPort);
            return c;
        });
        return [.. result];
    }

    /// <summary><c>NetworkSettings.Networks[*]</c> sorted by name; empty addresses become null.</summary>
    public static ImmutableArray<ContainerNetwork> MapNetworks(IReadOnlyDictionary<string, InspectEndpoint?>? networks)
    {
        if (networks is null || networks.Count == 0) return [];
        return
        [
            .. networks
                .OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new ContainerNetwork(kv.Key, ParseAddress(kv.Value?.IPAddress), ParseAddress(kv.Value?.GlobalIPv6Address))),
        ];
    }

    /// <summary>"default" and "" both mean the default bridge on Linux.</summary>
    public static string NormalizeNetworkMode(string? mode) =>
        string.IsNullOrEmpty(mode) || mode == "default" ? "bridge" : mode;

    private static IPAddress? ParseAddress(string? value) =>
        !string.IsNullOrWhiteSpace(value) && IPAddress.TryParse(value, out var address) ? address : null;

    /// <summary>"80/tcp" → (80, "tcp"); "80" → (80, "tcp").</summary>
    internal static bool TryParsePortKey(string key, out ushort port, out string protocol)
    {
        port = 0;
        protocol = "tcp";
        if (string.IsNullOrWhiteSpace(key)) return false;
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var number = slash < 0 ? key : key[..slash];
        if (slash >= 0)
        {
            protocol = key[(slash + 1)..].Trim().ToLowerInvariant();
            if (protocol.Length == 0) protocol = "tcp";
        }

        return ushort.TryParse(number.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port != 0;
    }
}
