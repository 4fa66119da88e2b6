using GorbLink.Core.Containers;
using GorbLink.Core.Labels;
using GorbLink.Ipvs;

namespace GorbLink.Core.Desired;

/// <summary>
/// Computes the whole desired IPVS state from all containers, from scratch, every time (level-triggered).
/// </summary>
/// <remarks>
/// <para>Membership. Running with no healthcheck or healthy: a destination. Running and unhealthy, stopping, paused or
/// restarting: a draining destination (weight 0, <see cref="DestinationOwner.Draining"/>). Running with its healthcheck
/// still starting: not yet. Created, exited, dead: nothing. Label errors are reported for running containers only.
/// (A restarting container's process has exited and the engine reports no ports or address for it between runs, so in
/// practice it supplies nothing until it runs again: there is nothing left to drain.)</para>
/// <para>Claims. Containers are taken in one stable order: those that supplied a destination in the previous state
/// first, then by <see cref="ContainerRecord.Created"/>, then by id. The first container to claim a VIP:port/protocol
/// sets its name, scheduler, flags and persistence; a later one that disagrees, or that supplies an address:port the
/// service already has, is refused as a whole with a <see cref="ConflictError"/>. Weight and forwarding are per
/// destination. Because holders come first, a refused container stays refused while the holder lives: nothing flaps.</para>
/// <para>Default VIP. The caller says which VIP a container without a vip label gets (<see cref="DefaultVip"/>): each
/// sink chooses its own, and a pipeline with several sinks builds once per distinct choice. Without one, the builder
/// uses that of its <see cref="LabelOptions"/>.</para>
/// <para>Parse results are cached per <see cref="ContainerRecord"/> instance and default VIP between builds; a builder
/// is tied to one <see cref="LabelOptions"/>. Thread-safe.</para>
/// </remarks>
public sealed class DesiredStateBuilder
{
    private readonly Lock _gate = new();
    private readonly Dictionary<DefaultVip, ParseCache> _caches = [];

    public DesiredStateBuilder(LabelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    public LabelOptions Options { get; }

    /// <summary>One full recompute. <paramref name="previous"/> is the last state built, so that holders keep their claims.</summary>
    public DesiredState Build(ContainerSnapshot snapshot, DesiredState? previous = null) => Build(snapshot, previous, new DefaultVip(Options.DefaultVip));

    /// <summary>One full recompute, with <paramref name="defaultVip"/> for containers without a vip label.</summary>
    /// <param name="previous">The last state built with the same default VIP, so that holders keep their claims.</param>
    public DesiredState Build(ContainerSnapshot snapshot, DesiredState? previous, DefaultVip defaultVip)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Build(snapshot.Containers.Values, previous, defaultVip);
    }

    /// <summary>One full recompute over any collection of containers; the result does not depend on their order.</summary>
    public DesiredState Build(IEnumerable<ContainerRecord> containers, DesiredState? previous = null) =>
        Build(containers, previous, new DefaultVip(Options.DefaultVip));

    /// <summary>One full recompute over any collection of containers, with <paramref name="defaultVip"/> for those without a vip label.</summary>
    public DesiredState Build(IEnumerable<ContainerRecord> containers, DesiredState? previous, DefaultVip defaultVip)
    {
        ArgumentNullException.ThrowIfNull(containers);
        previous ??= DesiredState.Empty;
        lock (_gate)
        {
            if (!_caches.TryGetValue(defaultVip, out var cache))
            {
                cache = new ParseCache(Options with { DefaultVip = defaultVip.Address });
                _caches.Add(defaultVip, cache);
            }
            var nextCache = new Dictionary<string, (ContainerRecord, LabelParseResult)>(cache.Results.Count, StringComparer.Ordinal);
            var candidates = new List<Candidate>();
            var errors = new List<LabelError>();
            foreach (var container in containers)
            {
                var membership = Classify(container);
                if (membership == Membership.Absent) continue;
                LabelParseResult result;
                if (cache.Results.TryGetValue(container.Id, out var cached) && ReferenceEquals(cached.Record, container))
                    result = cached.Result;
                else
                    result = ContainerLabels.Parse(container, cache.Options);
                nextCache[container.Id] = (container, result);

                if (result.Error is { } error)
                {
                    if (container.Lifecycle == ContainerLifecycle.Running) errors.Add(error);
                    continue;
                }
                if (result.Intent is not { } intent || membership == Membership.NotYet) continue;
                candidates.Add(new Candidate(intent, membership == Membership.Draining, previous.Contains(container.Id)));
            }
            cache.Results = nextCache;
            return Assemble(candidates, errors, ContainerLabels.LabelName(Options, ContainerLabels.Service));
        }
    }

    private enum Membership { Absent, NotYet, Active, Draining }

    /// <summary>The label options of one default VIP, and the parse results of the last build with it.</summary>
    private sealed class ParseCache(LabelOptions options)
    {
        public LabelOptions Options { get; } = options;
        public Dictionary<string, (ContainerRecord Record, LabelParseResult Result)> Results { get; set; } = new(StringComparer.Ordinal);
    }

    private static Membership Classify(ContainerRecord c) => c.Lifecycle switch
    {
        ContainerLifecycle.Running => c.Health switch
        {
            ContainerHealth.None or ContainerHealth.Healthy => Membership.Active,
            ContainerHealth.Starting => Membership.NotYet,
            _ => Membership.Draining,
        },
        ContainerLifecycle.Stopping or ContainerLifecycle.Paused or ContainerLifecycle.Restarting => Membership.Draining,
        _ => Membership.Absent,
    };

    private readonly record struct Candidate(ContainerIntent Intent, bool Draining, bool WasMember);

    private sealed class Accumulator(VirtualServiceKey key, ContainerIntent holder, ushort holderContainerPort)
    {
        public readonly VirtualService Service = new(key, holder.ServiceSpec);
        public readonly ContainerIntent Holder = holder;
        /// <summary>The holder's container port behind this service (the endpoint that created the accumulator).</summary>
        public readonly ushort HolderContainerPort = holderContainerPort;
        public readonly List<(Destination Destination, DestinationOwner Owner)> Destinations = new(4);

        public bool Has(DestinationKey key, out DestinationOwner? owner)
        {
            foreach (var (d, o) in Destinations)
            {
                if (d.Key == key) { owner = o; return true; }
            }
            owner = null;
            return false;
        }
    }

    private static int ClaimOrder(Candidate x, Candidate y)
    {
        if (x.WasMember != y.WasMember) return x.WasMember ? -1 : 1;
        var c = x.Intent.Container.Created.CompareTo(y.Intent.Container.Created);
        return c != 0 ? c : string.CompareOrdinal(x.Intent.Container.Id, y.Intent.Container.Id);
    }

    private static DesiredState Assemble(List<Candidate> candidates, List<LabelError> errors, string serviceLabel)
    {
        candidates.Sort(ClaimOrder);
        var services = new Dictionary<VirtualServiceKey, Accumulator>();
        var conflicts = new List<ConflictError>();
        var destinationCount = 0;

        foreach (var candidate in candidates)
        {
            var intent = candidate.Intent;
            if (FindConflict(intent, services) is { } conflict)
            {
                conflicts.Add(conflict);
                continue;
            }
            var c = intent.Container;
            var owner = new DestinationOwner(c.Id, c.Name, c.Health, c.Lifecycle, candidate.Draining);
            var spec = candidate.Draining ? intent.DestinationSpec with { Weight = 0 } : intent.DestinationSpec;
            foreach (var e in intent.Endpoints)
            {
                if (!services.TryGetValue(e.Service, out var acc))
                {
                    acc = new Accumulator(e.Service, intent, e.Port.ContainerPort);
                    services.Add(e.Service, acc);
                }
                acc.Destinations.Add((new Destination(e.Destination, spec), owner));
                destinationCount++;
            }
        }

        var keys = new VirtualServiceKey[services.Count];
        services.Keys.CopyTo(keys, 0);
        Array.Sort(keys, KeyOrder.Instance);

        var list = new DesiredService[keys.Length];
        var info = new Dictionary<VirtualServiceKey, ServiceInfo>(keys.Length);
        var owners = new Dictionary<DestinationRef, DestinationOwner>(destinationCount);
        for (var i = 0; i < keys.Length; i++)
        {
            var acc = services[keys[i]];
            var entries = acc.Destinations;
            if (entries.Count > 1) entries.Sort(static (a, b) => KeyOrder.Instance.Compare(a.Destination.Key, b.Destination.Key));
            var destinations = new Destination[entries.Count];
            for (var j = 0; j < destinations.Length; j++)
            {
                destinations[j] = entries[j].Destination;
                owners.Add(new DestinationRef(keys[i], entries[j].Destination.Key), entries[j].Owner);
            }
            list[i] = new DesiredService(acc.Service, destinations);
            info.Add(keys[i], Info(acc, serviceLabel));
        }

        errors.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.ContainerName, b.ContainerName);
            return c != 0 ? c : string.CompareOrdinal(a.ContainerId, b.ContainerId);
        });
        return new DesiredState(list, info, owners, errors, conflicts);
    }

    /// <summary>What the sinks need to know about a service's holder, from its parsed intent.</summary>
    private static ServiceInfo Info(Accumulator acc, string serviceLabel)
    {
        var holder = acc.Holder;
        // Recorded when the holder's first endpoint made the service: looking it up here per service was quadratic
        // for a container with many ports (1-65535 took two minutes).
        return new ServiceInfo(holder.ServiceName, holder.Container.Id, holder.Container.Name)
        {
            ContainerPort = acc.HolderContainerPort,
            NamedByLabel = holder.Container.Labels.ContainsKey(serviceLabel),
            HolderImage = holder.Container.Image?.Trim() ?? "",
        };
    }

    /// <summary>The first claim of <paramref name="intent"/> that another container already holds, or null.</summary>
    private static ConflictError? FindConflict(ContainerIntent intent, Dictionary<VirtualServiceKey, Accumulator> services)
    {
        var c = intent.Container;
        foreach (var e in intent.Endpoints)
        {
            if (!services.TryGetValue(e.Service, out var acc)) continue;
            var holder = acc.Holder.Container;
            var held = $"{e.Service} is held by {holder} for service \"{acc.Holder.ServiceName}\"";
            if (!string.Equals(acc.Holder.ServiceName, intent.ServiceName, StringComparison.Ordinal))
            {
                return new ConflictError(ConflictKind.ServiceName, e.Service, c.Id, c.Name, holder.Id, holder.Name,
                    $"{held}; this container names service \"{intent.ServiceName}\"");
            }
            if (acc.Service.Spec != intent.ServiceSpec)
            {
                var (theirs, mine) = Describe(acc.Service.Spec, intent.ServiceSpec);
                return new ConflictError(ConflictKind.ServiceSettings, e.Service, c.Id, c.Name, holder.Id, holder.Name,
                    $"{held} with {theirs}; this container asks for {mine}");
            }
            if (acc.Has(e.Destination, out var owner))
            {
                return new ConflictError(ConflictKind.DuplicateDestination, e.Service, c.Id, c.Name, owner!.ContainerId,
                    owner.ContainerName,
                    $"destination {e.Destination} of {e.Service} (service \"{acc.Holder.ServiceName}\") already comes from {owner}");
            }
        }
        return null;
    }

    /// <summary>The settings that differ, as the holder has them and as the refused container asks for them.</summary>
    private static (string Held, string Asked) Describe(VirtualServiceSpec held, VirtualServiceSpec asked)
    {
        var theirs = new List<string>(3);
        var mine = new List<string>(3);
        if (held.Scheduler != asked.Scheduler)
        {
            theirs.Add($"scheduler {held.Scheduler}");
            mine.Add($"scheduler {asked.Scheduler}");
        }
        if (held.Flags != asked.Flags)
        {
            theirs.Add($"flags {FlagWords(held)}");
            mine.Add($"flags {FlagWords(asked)}");
        }
        if (held.PersistenceTimeout != asked.PersistenceTimeout)
        {
            theirs.Add($"persistence {Seconds(held.PersistenceTimeout)}");
            mine.Add($"persistence {Seconds(asked.PersistenceTimeout)}");
        }
        if (theirs.Count == 0) return ("other settings", "different ones"); // netmask or engine: not set from labels today
        return (string.Join(" and ", theirs), string.Join(" and ", mine));
    }

    private static string FlagWords(VirtualServiceSpec spec) => IpvsNames.Words(IpvsNames.Flags(spec.Flags, spec.Scheduler));

    private static string Seconds(uint timeout) => timeout == 0 ? "none" : $"{timeout}s";
}
