using System.Globalization;
using System.Net;

namespace GorbLink.Agent.KernelTests;

/// <summary>One IPVS service as /proc/net/ip_vs prints it: its line and its destinations' lines, in the kernel's order.</summary>
public sealed record ProcIpvsService(string Key, string Line, IReadOnlyList<string> DestinationLines)
{
    /// <summary>The service's block, byte for byte as the kernel printed it.</summary>
    public string Raw => string.Join('\n', [Line, .. DestinationLines]);
}

/// <summary>
/// /proc/net/ip_vs: the kernel's own text of its IPVS table, an independent reader (not GorbLink's netlink code), and
/// fast enough to poll: ipvsadm -Sn takes seconds for 1,100 entries under the VM's emulation, this a few milliseconds.
/// </summary>
public static class ProcIpvs
{
    public static IReadOnlyList<ProcIpvsService> Read()
    {
        var services = new List<ProcIpvsService>();
        List<string>? destinations = null;
        string? line = null;
        // Three header lines: the version, then the service and destination column names.
        foreach (var text in File.ReadAllLines("/proc/net/ip_vs").Skip(3))
        {
            if (text.StartsWith("  ->", StringComparison.Ordinal))
            {
                destinations?.Add(text);
                continue;
            }
            if (line is not null) services.Add(new ProcIpvsService(Key(line), line, destinations!));
            line = text;
            destinations = [];
        }
        if (line is not null) services.Add(new ProcIpvsService(Key(line), line, destinations!));
        return services;
    }

    /// <summary>"TCP 0AC80001:0050" (or "FWM 0000004D") from a service line.</summary>
    public static string Key(string serviceLine) => string.Join(' ', Words(serviceLine).Take(2));

    public static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The kernel's spelling of an IPv4 address and port: "0AC80001:0050".</summary>
    public static string Hex(string address, int port) =>
        $"{Convert.ToHexString(IPAddress.Parse(address).GetAddressBytes())}:{port.ToString("X4", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// GorbLink's part of the table as sorted lines, "SERVICE-LINE-WORDS" and "SERVICE-KEY -> DEST FORWARD WEIGHT", leaving
    /// out the services and destinations <paramref name="isForeign"/> names (connection counters are left out too).
    /// Duplicates stay: a destination listed twice shows twice.
    /// </summary>
    public static List<string> Normalize(IEnumerable<ProcIpvsService> table, Func<string, string?, bool> isForeign)
    {
        var lines = new List<string>();
        foreach (var service in table)
        {
            if (isForeign(service.Key, null)) continue;
            lines.Add(string.Join(' ', Words(service.Line)));
            foreach (var destination in service.DestinationLines)
            {
                var words = Words(destination);
                if (isForeign(service.Key, words[1])) continue;
                lines.Add($"{service.Key} -> {words[1]} {words[2]} {words[3]}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>What differs between two sorted line lists, at most ten lines each way, for a failure message.</summary>
    public static string Diff(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var missing = expected.Except(actual).Take(10).Select(l => "  missing: " + l);
        var extra = actual.Except(expected).Take(10).Select(l => "  extra:   " + l);
        var duplicated = actual.GroupBy(l => l).Where(g => g.Count() > 1).Take(10).Select(g => $"  {g.Count()}x:      {g.Key}");
        return $"expected {expected.Count} lines, kernel has {actual.Count}\n{string.Join('\n', missing.Concat(extra).Concat(duplicated))}";
    }
}
