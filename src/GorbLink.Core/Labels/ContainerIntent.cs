using System.Collections.Immutable;
using System.Net;
using GorbLink.Core.Containers;
using GorbLink.Ipvs;

namespace GorbLink.Core.Labels;

/// <summary>Which address a container's destinations use (the backend label).</summary>
public enum BackendMode
{
    /// <summary>Host address + published port, as gorb-docker-link does; reachable from a remote director.</summary>
    Published,
    /// <summary>The container's own address on one Docker network + the container port.</summary>
    Container,
}

/// <summary>One item of the ports label: virtual port, container port, protocol ("8080:80/tcp").</summary>
public readonly record struct PortMapping(ushort VirtualPort, ushort ContainerPort, IpvsProtocol Protocol)
{
    public override string ToString() => VirtualPort == ContainerPort
        ? $"{ContainerPort}/{IpvsNames.Protocol(Protocol)}"
        : $"{VirtualPort}:{ContainerPort}/{IpvsNames.Protocol(Protocol)}";
}

/// <summary>One destination a container offers to one virtual service, resolved from its labels, ports and networks.</summary>
public readonly record struct IntentEndpoint(VirtualServiceKey Service, DestinationKey Destination, PortMapping Port);

/// <summary>What a container's labels ask for, checked against the container: valid by construction.</summary>
public sealed record ContainerIntent
{
    public required ContainerRecord Container { get; init; }
    /// <summary>Virtual-service name; containers with the same name share services.</summary>
    public required string ServiceName { get; init; }
    public required IPAddress Vip { get; init; }
    public required ImmutableArray<PortMapping> Ports { get; init; }
    /// <summary>Service-level settings: scheduler, flags, persistence. Containers sharing a service must agree on them.</summary>
    public required VirtualServiceSpec ServiceSpec { get; init; }
    /// <summary>Destination-level settings: forwarding method and weight.</summary>
    public required DestinationSpec DestinationSpec { get; init; }
    public required BackendMode Backend { get; init; }
    /// <summary>The Docker network whose address <see cref="BackendMode.Container"/> uses; null in published mode.</summary>
    public string? Network { get; init; }
    /// <summary>Every (service, destination) pair, in port order; never empty.</summary>
    public required ImmutableArray<IntentEndpoint> Endpoints { get; init; }

    public string Scheduler => ServiceSpec.Scheduler;
    public ServiceFlags Flags => ServiceSpec.Flags;
    /// <summary>Persistence timeout in seconds; 0 when not persistent.</summary>
    public uint Persistence => ServiceSpec.PersistenceTimeout;
    public ForwardMethod Forward => DestinationSpec.Forward;
    public int Weight => DestinationSpec.Weight;
}

/// <summary>Why a container could not be registered: one line naming the container, the label and its value.</summary>
public sealed record LabelError(string ContainerId, string ContainerName, string? Label, string? Value, string Problem)
{
    public static LabelError For(ContainerRecord container, string? label, string? value, string problem)
    {
        ArgumentNullException.ThrowIfNull(container);
        return new LabelError(container.Id, container.Name, label, value, problem);
    }

    public string ShortId => ContainerId.Length > 12 ? ContainerId[..12] : ContainerId;

    /// <summary>e.g. <c>container web-1 (0123456789ab): label gorb.scheduler="xyz": unknown scheduler (known: rr, wrr, ...)</c>.</summary>
    public string Message => Label is null
        ? $"container {ContainerName} ({ShortId}): {Problem}"
        : $"container {ContainerName} ({ShortId}): label {Label}=\"{Value}\": {Problem}";

    public override string ToString() => Message;
}

/// <summary>The outcome of reading one container's labels: an intent, an error, or nothing (not opted in).</summary>
public readonly struct LabelParseResult
{
    private LabelParseResult(ContainerIntent? intent, LabelError? error)
    {
        Intent = intent;
        Error = error;
    }

    public ContainerIntent? Intent { get; }
    public LabelError? Error { get; }
    /// <summary>The container is not a candidate: not opted in, opted out, or (exposed by default) without any port.</summary>
    public bool IsIgnored => Intent is null && Error is null;

    public static LabelParseResult Ignored => default;
    public static LabelParseResult Of(ContainerIntent intent) => new(intent ?? throw new ArgumentNullException(nameof(intent)), null);
    public static LabelParseResult Of(LabelError error) => new(null, error ?? throw new ArgumentNullException(nameof(error)));

    public override string ToString() => Intent?.ToString() ?? Error?.Message ?? "ignored";
}
