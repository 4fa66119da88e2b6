using System.Diagnostics.Metrics;
using System.Globalization;
using GorbLink.Core.Metrics;

namespace GorbLink.Metrics;

/// <summary>The process's own memory and garbage collections, under GorbLink's names (the memory budget is the agent's).</summary>
internal static class ProcessInstruments
{
    public static void Add(Meter meter)
    {
        meter.CreateObservableGauge("gorblink.process.resident_memory", ResidentBytes, "By", "Resident memory of the agent process (VmRSS).");
        meter.CreateObservableGauge("gorblink.gc.heap", () => GC.GetGCMemoryInfo().HeapSizeBytes, "By", "Managed heap size after the last garbage collection.");
        meter.CreateObservableGauge("gorblink.gc.committed", () => GC.GetGCMemoryInfo().TotalCommittedBytes, "By", "Memory the garbage collector has committed.");
        meter.CreateObservableCounter("gorblink.gc.collections", Collections, description: "Garbage collections, by generation.");
    }

    private static IEnumerable<Measurement<long>> Collections()
    {
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            yield return GorbLinkMeter.Measure((long)GC.CollectionCount(generation), ("generation", generation.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>VmRSS from /proc/self/statm (pages), 0 where there is none.</summary>
    private static long ResidentBytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }
}
