using System.Collections.Immutable;
using System.Net;

namespace GorbLink.Core.Containers;

/// <summary>Lifecycle of a container as GorbLink sees it: Docker's state, refined by the last event.</summary>
public enum ContainerLifecycle
{
    Created,
    Running,
    /// <summary>A kill or stop event arrived while the container still runs: drain it before it goes.</summary>
    Stopping,
    Paused,
    Restarting,
    Exited,
    Dead,
}

/// <summary>Docker HEALTHCHECK status; <see cref="None"/> when the container has no healthcheck.</summary>
public enum ContainerHealth
{
    None,
    Starting,
    Healthy,
    Unhealthy,
}

/// <summary>A published port binding: "80/tcp" bound on HostIp:HostPort.</summary>
public sealed record PortBinding(ushort ContainerPort, string Protocol, IPAddress HostAddress, ushort HostPort);

/// <summary>A container's endpoint on one Docker network.</summary>
public sealed record ContainerNetwork(string Name, IPAddress? IPv4Address, IPAddress? IPv6Address);

/// <summary>
/// Everything GorbLink needs to know about one container, independent of the Docker client library.
/// The Docker side builds these from inspect results; Core turns them into desired IPVS state.
/// </summary>
public sealed record ContainerRecord
{
    public required string Id { get; init; }
    /// <summary>Name without Docker's leading '/'.</summary>
    public required string Name { get; init; }
    /// <summary>Image reference as configured, e.g. "nginx:1.27" or "registry:5000/team/app:tag".</summary>
    public required string Image { get; init; }
    /// <summary>When Docker created the container; orders claims deterministically (older first). MinValue if unknown.</summary>
    public DateTimeOffset Created { get; init; }
    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;
    public ContainerLifecycle Lifecycle { get; init; } = ContainerLifecycle.Running;
    public ContainerHealth Health { get; init; } = ContainerHealth.None;
    /// <summary>Exposed container ports as "80/tcp".</summary>
    public ImmutableArray<string> ExposedPorts { get; init; } = [];
    public ImmutableArray<PortBinding> PublishedPorts { get; init; } = [];
    public ImmutableArray<ContainerNetwork> Networks { get; init; } = [];
    /// <summary>HostConfig.NetworkMode: "bridge", "host", "none", "container:&lt;id&gt;" or a network name.</summary>
    public string NetworkMode { get; init; } = "bridge";
    /// <summary>
    /// Value equality over every field, collections included (the compiler's record equality compares the immutable
    /// collections by reference), so that re-inspecting an unchanged container is a no-op for <see cref="ContainerStore"/>.
    /// </summary>
    public bool Equals(ContainerRecord? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null) return false;
        return Id == other.Id && Name == other.Name && Image == other.Image && Lifecycle == other.Lifecycle &&
               Health == other.Health && NetworkMode == other.NetworkMode && Created == other.Created &&
               Labels.Count == other.Labels.Count &&
               Labels.All(kv => other.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value) &&
               ExposedPorts.SequenceEqual(other.ExposedPorts) &&
               PublishedPorts.SequenceEqual(other.PublishedPorts) &&
               Networks.SequenceEqual(other.Networks);
    }

    public override int GetHashCode() => HashCode.Combine(Id, Name, Image, Lifecycle, Health, NetworkMode, Created);

    public string ShortId => Id.Length > 12 ? Id[..12] : Id;
    public override string ToString() => $"container {Name} ({ShortId})";
}
