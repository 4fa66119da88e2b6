using CsCheck;
using GorbLink.Core.Desired;
using GorbLink.Ipvs;
using GorbLink.Testing;

namespace GorbLink.Fuzz.Tests.Support;

/// <summary>Kernel tables as comparable text, and generators of lists of values.</summary>
public static class Tables
{
    /// <summary>Every field of every service and destination, in key order: equal text, equal tables.</summary>
    public static string Dump(IEnumerable<VirtualServiceTable> tables) =>
        KernelTables.Dump(tables.OrderBy(t => t.Key, KeyOrder.Instance)
            .Select(t => new DesiredService(t.Service.Service, [.. t.Destinations.Select(d => d.Destination).OrderBy(d => d.Key, KeyOrder.Instance)])));

    /// <summary>One value of each generator, in order.</summary>
    public static Gen<T[]> All<T>(IEnumerable<Gen<T>> gens) =>
        gens.Aggregate(Gen.Const(Array.Empty<T>()), (all, gen) => all.SelectMany(values => gen.Select(value => (T[])[.. values, value])));
}
