using System.Diagnostics;
using GorbLink.Ipvs.Netlink;


namespace GorbLink.Ipvs.KernelTests;

/// <summary>
/// Access to the real kernel's IPVS. Every test starts from an empty table in this network namespace; inside the
/// VM nothing else uses IPVS. Without IPVS (this machine's own kernel) each test is skipped with the reason.
/// </summary>
public static class KernelIpvs
{
    public static async Task<IpvsNetlinkClient> OpenCleanAsync()
    {
        if (!File.Exists("/proc/net/ip_vs") && Environment.GetEnvironmentVariable("GORBLINK_REQUIRE_KERNEL") == "1")
            Assert.Fail("GORBLINK_REQUIRE_KERNEL=1 but this kernel has no IPVS (/proc/net/ip_vs is absent)");
        if (!File.Exists("/proc/net/ip_vs"))
            Assert.Skip("this kernel has no IPVS (/proc/net/ip_vs is absent): the kernel suite runs inside tests/vm/run");
        var client = await IpvsNetlinkClient.OpenAsync(TestContext.Current.CancellationToken);
        await client.FlushAsync(TestContext.Current.CancellationToken);
        return client;
    }

    /// <summary>`ipvsadm -Sn`: an independent reader of the kernel table, one rule per line.</summary>
    public static string[] IpvsadmSave() => Run("ipvsadm", "-Sn").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static string Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {error}");
        return output;
    }

    /// <summary>
    /// A dummy interface made for one test, with <paramref name="address"/>/32 on it, so that address is local and
    /// traffic to it stays inside this machine. Disposing deletes the interface and its address.
    /// </summary>
    public static IDisposable LocalAddress(string device, string address)
    {
        Run("sh", $"-c \"ip link del {device} 2>/dev/null; ip link add {device} type dummy && ip addr add {address}/32 dev {device} && ip link set {device} up\"");
        return new DeleteLink(device);
    }

    private sealed class DeleteLink(string device) : IDisposable
    {
        public void Dispose() => Run("ip", $"link del {device}");
    }

    /// <summary>Whether the running kernel ships a module of IPVS (ip_vs_NAME), as a file or built in.</summary>
    public static bool HasIpvsModule(string name)
    {
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var dir = $"/lib/modules/{release}/kernel/net/netfilter/ipvs";
        var builtin = $"/lib/modules/{release}/modules.builtin";
        return Directory.Exists(dir) && Directory.EnumerateFiles(dir, $"ip_vs_{name}.ko*").Any()
            || File.Exists(builtin) && File.ReadLines(builtin).Any(l => l.EndsWith($"/ip_vs_{name}.ko", StringComparison.Ordinal));
    }

    /// <summary>Whether the running kernel ships a scheduler module (some, like twos, are newer than some kernels).</summary>
    public static bool HasSchedulerModule(string scheduler)
    {
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var dir = $"/lib/modules/{release}/kernel/net/netfilter/ipvs";
        return Directory.Exists(dir) && Directory.EnumerateFiles(dir, $"ip_vs_{scheduler}.ko*").Any();
    }
}
