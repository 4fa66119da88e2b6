using System.Net;
using CsCheck;
using GorbLink.Core.Desired;
using GorbLink.Core.Planning;
using GorbLink.Fuzz.Tests.Support;
using GorbLink.Ipvs;
using GorbLink.Testing;

namespace GorbLink.Fuzz.Tests.Core;

/// <summary>
/// The planner's promise, for random kernel tables (owned and foreign services, as a kernel reports them) and random
/// desired states (what GorbLink may ask for: owned services and new ones, never a foreign key, which the reconciler
/// refuses before planning): applying the plan to the table, as the kernel would (<see cref="IpvsTableModel"/>, which
/// refuses what the kernel refuses), gives exactly the desired services, removes the owned services nobody wants, and
/// never sends an operation to a foreign service, which stays as it was.
/// </summary>
public sealed class PlannerPropertyTests
{
    private static readonly VirtualServiceKey[] ServiceKeys =
    [
        .. Enumerable.Range(1, 4).Select(i => KernelTables.Tcp($"10.0.0.{i}", 80)),
        KernelTables.Udp("10.0.0.1", 53), KernelTables.Tcp("2001:db8::1", 443), KernelTables.Fwmark(7), KernelTables.Tcp("10.0.0.1", 443),
    ];
    private static readonly string[] Schedulers = ["rr", "wrr", "mh", "sh"];

    private static readonly Gen<VirtualServiceSpec> ServiceSpecs =
        Gen.Select(Gen.Int[0, Schedulers.Length - 1], Gen.Bool, Gen.OneOf(Gen.Const(0u), Gen.Const(300u)), (scheduler, flag, timeout) => new VirtualServiceSpec
            {
                Scheduler = Schedulers[scheduler],
                Flags = flag ? ServiceFlags.Sched1 : 0,
                PersistenceTimeout = timeout,
            });

    private static Gen<Destination[]> Destinations(VirtualServiceKey service) =>
        Gen.Select(Gen.Int[1, 6], Gen.Int[0, 3], Gen.OneOf(Gen.Const(ForwardMethod.Nat), Gen.Const(ForwardMethod.DirectRoute)), (host, weight, forward) =>
            {
                var address = service.Family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.Parse($"2001:db8::1:{host}") : IPAddress.Parse($"10.1.0.{host}");
                return new Destination(new DestinationKey(address, 8080), new DestinationSpec { Weight = weight * 50, Forward = forward });
            })
            .Array[0, 4]
            .Select(all => all.DistinctBy(d => d.Key).ToArray());

    /// <summary>Each key: absent, or present with a spec and destinations.</summary>
    private static Gen<DesiredService[]> Services(Func<VirtualServiceKey, bool> allowed) =>
        Tables.All(ServiceKeys.Select(key => Gen.Select(Gen.Bool, ServiceSpecs, Destinations(key),
                (present, spec, destinations) => present && allowed(key) ? new DesiredService(new VirtualService(key, spec), destinations) : null)))
            .Select(all => all.OfType<DesiredService>().ToArray());

    private sealed record Case(IReadOnlyList<VirtualServiceTable> Actual, HashSet<VirtualServiceKey> Foreign, DesiredService[] Desired)
    {
        public override string ToString() =>
            $"actual:\n{KernelTables.Dump(Actual.Select(t => new DesiredService(t.Service.Service, [.. t.Destinations.Select(d => d.Destination)])))}\n" +
            $"foreign: {string.Join(", ", Foreign)}\ndesired:\n{KernelTables.Dump(Desired)}";
    }

    private static readonly Gen<Case> Cases =
        Gen.Select(Services(_ => true), Gen.Bool.Array[ServiceKeys.Length])
            .SelectMany(t =>
            {
                var (actual, foreignFlags) = t;
                var foreign = actual.Where(s => foreignFlags[Array.IndexOf(ServiceKeys, s.Key)]).Select(s => s.Key).ToHashSet();
                return Services(key => !foreign.Contains(key)).Select(desired =>
                    new Case([.. actual.Select(KernelTables.Readback)], foreign, desired));
            });

    [Fact]
    public void ApplyingThePlanGivesTheDesiredTableRestrictedToWhatIsOwnedAndLeavesForeignServicesAlone()
    {
        FuzzRun.Run(Cases, c =>
        {
            var plan = IpvsPlanner.Plan(c.Desired, c.Actual, new IpvsPlannerOptions { Prune = true, IsOwned = key => !c.Foreign.Contains(key) });
            foreach (var operation in plan.Operations)
            {
                var service = operation switch
                {
                    IpvsOperation.CreateService o => o.Service.Key,
                    IpvsOperation.UpdateService o => o.Service.Key,
                    IpvsOperation.DeleteService o => o.Service,
                    IpvsOperation.CreateDestination o => o.Service,
                    IpvsOperation.UpdateDestination o => o.Service,
                    IpvsOperation.DeleteDestination o => o.Service,
                    _ => throw new InvalidOperationException(operation.Kind.ToString()),
                };
                Assert.False(c.Foreign.Contains(service), $"the plan touches foreign service {service}: {operation.Kind} {operation.Target}");
            }

            var after = IpvsTableModel.Apply(c.Actual, plan.Operations);

            var expected = c.Desired.Select(KernelTables.Readback).Concat(c.Actual.Where(t => c.Foreign.Contains(t.Key)));
            Assert.Equal(Tables.Dump(expected), Tables.Dump(after));
            // Planning again against the result has nothing left to do.
            Assert.True(IpvsPlanner.Plan(c.Desired, after, new IpvsPlannerOptions { Prune = true, IsOwned = key => !c.Foreign.Contains(key) }).IsEmpty,
                "a second plan against the applied table is not empty");
        }, c => c.ToString(), seconds: FuzzRun.PropertySeconds);
    }
}
