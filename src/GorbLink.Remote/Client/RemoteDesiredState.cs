using System.Net;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;
using GorbLink.Remote.Protocol;

namespace GorbLink.Remote.Client;

/// <summary>One backend as the daemons should have it.</summary>
/// <param name="Weight">The weight it should have; 0 while its container drains.</param>
/// <param name="Draining">Its container is stopping, paused, restarting or unhealthy: kept at weight 0, never created.</param>
public sealed record RemoteBackend(string Id, DestinationKey Destination, GorbBackendOptions Options, int Weight, bool Draining, string Container);

/// <summary>One virtual service as the daemons should have it, with its backends.</summary>
public sealed record RemoteService(
    string Id,
    string Name,
    VirtualServiceKey Key,
    GorbServiceOptions Options,
    ServiceFlags Flags,
    IReadOnlyList<RemoteBackend> Backends);

/// <summary>
/// The full desired state in GORB's terms, one versioned snapshot that every daemon's sink reconciles to on its own
/// schedule (a daemon that is down simply catches up with the latest one).
/// </summary>
public sealed record RemoteDesiredState(long Revision, IReadOnlyList<RemoteService> Services, IReadOnlyList<string> Problems)
{
    public static RemoteDesiredState Empty { get; } = new(0, [], []);

    public int BackendCount => Services.Sum(s => s.Backends.Count);
}

/// <summary>Turns GorbLink's <see cref="DesiredState"/> into vsIDs, rsIDs and GORB options (<see cref="GorbIds"/>).</summary>
public static class RemoteDesiredMapper
{
    /// <summary>
    /// The default VIP of remote mode: a container without a vip label asks for "the daemon's default address", which
    /// GORB spells as an empty host. It is never a valid label value (unspecified addresses are refused), so it is unambiguous.
    /// </summary>
    public static IPAddress DaemonDefaultVip { get; } = IPAddress.Any;

    /// <summary>Every daemon sink's choice of default VIP (<see cref="DaemonDefaultVip"/>): the pipeline builds its state for it.</summary>
    public static DefaultVip DaemonDefault { get; } = new(DaemonDefaultVip);

    /// <summary>Label options for the remote desired state: those of the agent, with <see cref="DaemonDefaultVip"/> as default VIP.</summary>
    public static LabelOptions ForRemote(LabelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with { DefaultVip = DaemonDefaultVip };
    }

    /// <summary>
    /// Maps a desired state built for <see cref="DaemonDefault"/> (or with <see cref="ForRemote"/> label options). Only parsed facts are used: the service's
    /// name, holder image and container port (<see cref="ServiceInfo"/>) and each destination's owner.
    /// </summary>
    public static RemoteDesiredState Map(long revision, DesiredState desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var problems = new List<string>();
        var services = new List<RemoteService>(desired.Services.Count);
        var serviceIds = new Dictionary<string, VirtualServiceKey>(StringComparer.Ordinal);
        var backendIds = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (var service in desired.Services)
        {
            var key = service.Key;
            if (key.IsFirewallMark || key.Protocol is not (IpvsProtocol.Tcp or IpvsProtocol.Udp))
            {
                problems.Add($"service {Describe(key)}: GORB daemons take tcp and udp services only; not sent");
                continue;
            }
            var info = desired.ServiceInfo.GetValueOrDefault(key);
            var name = info?.Name ?? key.ToString();
            var containerPort = info is { ContainerPort: > 0 } ? info.ContainerPort : key.Port;
            var id = GorbIds.ServiceId(IdName(name, info), containerPort, key.Protocol);
            if (id.Length == 0)
            {
                problems.Add($"service {Describe(key)} (\"{name}\"): its vsID would be empty; not sent");
                continue;
            }
            if (serviceIds.TryGetValue(id, out var taken))
            {
                problems.Add($"service {Describe(key)} (\"{name}\") would get vsID {id}, which service {Describe(taken)} already has; not sent (give one of them another service label)");
                continue;
            }
            serviceIds.Add(id, key);

            var spec = service.Service.Spec;
            // GORB's flags are sh-fallback, sh-port and flag-1..3; one-packet is not among them (a daemon answers 400 to it).
            var settable = spec.Flags & ~(ServiceFlags.Persistent | ServiceFlags.Hashed | ServiceFlags.OnePacket);
            if (spec.Flags.HasFlag(ServiceFlags.OnePacket))
                problems.Add($"service {Describe(key)} (\"{name}\"): GORB daemons have no one-packet flag; sent without it");
            var serviceOptions = new GorbServiceOptions
            {
                Host = key.Address!.Equals(DaemonDefaultVip) ? "" : key.Address.ToString(),
                Port = key.Port,
                Protocol = IpvsNames.Protocol(key.Protocol),
                Method = spec.Scheduler,
                Flags = GorbWords.Flags(settable, spec.Scheduler),
                Persistent = spec.PersistenceTimeout > 0,
                PersistenceTimeout = spec.PersistenceTimeout > 0 ? spec.PersistenceTimeout : null,
            };

            var backends = new List<RemoteBackend>(service.Destinations.Count);
            foreach (var destination in service.Destinations)
            {
                var owner = desired.OwnerOf(key, destination.Key);
                var containerName = owner?.ContainerName ?? destination.Key.ToString();
                var rsId = GorbIds.BackendId(containerName, destination.Key.Port, key.Protocol);
                if (backendIds.TryGetValue(rsId, out var holder))
                {
                    problems.Add($"destination {destination.Key} of {Describe(key)} (container {containerName}) would get rsID {rsId}, which a backend of {holder} already has; not sent");
                    continue;
                }
                backendIds.Add(rsId, id);
                var weight = destination.Spec.Weight;
                backends.Add(new RemoteBackend(
                    rsId,
                    destination.Key,
                    BackendOptions(destination, key.Protocol),
                    weight,
                    owner?.Draining == true,
                    containerName));
            }
            if (backends.Count == 0) continue;
            services.Add(new RemoteService(id, name, key, serviceOptions, settable, backends));
        }
        return new RemoteDesiredState(revision, services, problems);
    }

    /// <summary>"tcp 10.1.0.9:80", or "tcp &lt;daemon default address&gt;:80" for a service without a vip label.</summary>
    public static string Describe(VirtualServiceKey key) => key.Address is { } address && address.Equals(DaemonDefaultVip)
        ? $"{IpvsNames.Protocol(key.Protocol)} <daemon default address>:{key.Port}"
        : key.ToString();

    /// <summary>
    /// The backend as sent on PUT. UDP backends get pulse type none, as gorb-docker-link sends them (a TCP check of a
    /// UDP port fails); TCP backends send no pulse, so the daemon's default (TCP check every minute) applies.
    /// </summary>
    private static GorbBackendOptions BackendOptions(Destination destination, IpvsProtocol protocol) => new()
    {
        Host = destination.Key.Address.ToString(),
        Port = destination.Key.Port,
        Weight = destination.Spec.Weight,
        Method = GorbWords.Forward(destination.Spec.Forward),
        Pulse = protocol == IpvsProtocol.Udp ? GorbPulse.None() : null,
    };

    /// <summary>
    /// What the vsID is made from: the service label when the holder has one; else, as gorb-docker-link does, the holder's
    /// image exactly as it was given (tag included: nginx:latest → nginx-latest-80-tcp); else the service name.
    /// </summary>
    private static string IdName(string name, ServiceInfo? info)
    {
        if (info is null || info.NamedByLabel) return name;
        var image = info.HolderImage;
        return string.IsNullOrWhiteSpace(image) || image.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) ? name : image;
    }
}
