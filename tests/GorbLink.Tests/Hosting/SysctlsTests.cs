using GorbLink.Hosting;
using GorbLink.Tests.Metrics;

namespace GorbLink.Tests.Hosting;

/// <summary>--set-sysctls against a directory laid out like /proc/sys (the real one is tested in the VM).</summary>
public sealed class SysctlsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gorblink-sysctl").FullName;
    private readonly ListLogger _log = new();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Set(string name, string value)
    {
        var path = Path.Combine(_root, name.Replace('.', '/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, value + "\n");
    }

    private string Get(string name) => File.ReadAllText(Path.Combine(_root, name.Replace('.', '/'))).Trim();

    [Fact]
    public void WritesWhatDiffersWithItsReasonAndLeavesTheRest()
    {
        Set("net.ipv4.vs.conntrack", "0");
        Set("net.ipv4.vs.expire_nodest_conn", "1");
        Set("net.ipv4.vs.expire_quiescent_template", "0");
        Set("net.ipv4.ip_forward", "1");

        var changed = new Sysctls(_log, _root).Apply(Sysctls.ForNat, dryRun: false);

        Assert.Equal(2, changed);
        Assert.Equal(("1", "1", "1"), (Get("net.ipv4.vs.conntrack"), Get("net.ipv4.vs.expire_nodest_conn"), Get("net.ipv4.vs.expire_quiescent_template")));
        Assert.Contains(_log.Lines, l => l.StartsWith("1301 set net.ipv4.vs.conntrack = 1 (was 0): keep netfilter connection tracking", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.StartsWith("1301 set net.ipv4.vs.expire_quiescent_template = 1 (was 0): expire persistence templates", StringComparison.Ordinal));
        Assert.Contains("1302 net.ipv4.vs.expire_nodest_conn is already 1", _log.Lines);
        Assert.DoesNotContain(_log.Lines, l => l.StartsWith("1304", StringComparison.Ordinal));
    }

    [Fact]
    public void DryRunOnlySaysWhatItWouldWriteAndForwardingOffIsAWarning()
    {
        Set("net.ipv4.vs.conntrack", "0");
        Set("net.ipv4.vs.expire_nodest_conn", "0");
        Set("net.ipv4.vs.expire_quiescent_template", "0");
        Set("net.ipv4.ip_forward", "0");

        Assert.Equal(3, new Sysctls(_log, _root).Apply(Sysctls.ForNat, dryRun: true));

        Assert.Equal("0", Get("net.ipv4.vs.conntrack"));
        Assert.Equal(3, _log.Lines.Count(l => l.StartsWith("1303 dry run, would set", StringComparison.Ordinal)));
        Assert.Contains(_log.Lines, l => l.StartsWith("1304 net.ipv4.ip_forward is 0", StringComparison.Ordinal));
        Assert.Equal("0", Get("net.ipv4.ip_forward")); // never written
    }

    [Fact]
    public void WithoutIpvsTheErrorSaysWhereTheSettingsComeFrom()
    {
        var e = Assert.Throws<SysctlException>(() => new Sysctls(_log, _root).Apply(Sysctls.ForNat, dryRun: false));
        Assert.Contains("cannot set net.ipv4.vs.conntrack", e.Message);
        Assert.Contains("ip_vs module", e.Message);
    }
}
