using GorbLink.Hosting;
using GorbLink.Tests.Metrics;

namespace GorbLink.Tests.Hosting;

/// <summary>expire_nodest_conn = 1 by default at start, against a directory laid out like /proc/sys.</summary>
public sealed class ExpireNodestConnStepTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gorblink-nodest").FullName;
    private readonly ListLogger _log = new();
    private string PathOf(string name) => Path.Combine(_root, name.Replace('.', '/'));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Set(string name, string value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf(name))!);
        File.WriteAllText(PathOf(name), value + "\n");
    }

    [Fact]
    public void SetsOnlyExpireNodestConn()
    {
        Set("net.ipv4.vs.expire_nodest_conn", "0");
        Set("net.ipv4.vs.conntrack", "0");
        Set("net.ipv4.ip_forward", "1");
        ExpireNodestConnStep.Apply(_log, dryRun: false, _root);
        Assert.Equal("1", File.ReadAllText(PathOf("net.ipv4.vs.expire_nodest_conn")).Trim());
        Assert.Equal("0", File.ReadAllText(PathOf("net.ipv4.vs.conntrack")).Trim());
        Assert.Contains(_log.Lines, l => l.StartsWith("1301 set net.ipv4.vs.expire_nodest_conn = 1 (was 0)", StringComparison.Ordinal));
    }

    [Fact]
    public void ADryRunWritesNothing()
    {
        Set("net.ipv4.vs.expire_nodest_conn", "0");
        ExpireNodestConnStep.Apply(_log, dryRun: true, _root);
        Assert.Equal("0", File.ReadAllText(PathOf("net.ipv4.vs.expire_nodest_conn")).Trim());
        Assert.Contains(_log.Lines, l => l.StartsWith("1303 dry run, would set net.ipv4.vs.expire_nodest_conn = 1", StringComparison.Ordinal));
    }

    [Fact]
    public void WhenItCannotBeSetItIsOneWarningNotAFailure()
    {
        ExpireNodestConnStep.Apply(_log, dryRun: false, _root); // no such file: ip_vs not loaded, or another namespace
        var line = Assert.Single(_log.Lines);
        Assert.StartsWith("1610 UDP clients that keep their source port", line, StringComparison.Ordinal);
        Assert.Contains("net.ipv4.vs.expire_nodest_conn", line, StringComparison.Ordinal);
    }
}
