using System.Diagnostics;
using System.Net;
using GorbLink.Netlink;
using GorbLink.Netlink.Route;
using GorbLink.Netlink.Testing;

namespace GorbLink.Netlink.Tests.Route;

public class InterfaceAddressClientTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAddressAlreadyThereIsReportedNotThrown()
    {
        var kernel = new FakeKernel(_ => FakeReply.Fail(17, "address already assigned"));
        using var client = new InterfaceAddressClient(new NetlinkConnection(() => kernel));
        Assert.False(await client.AddAsync(InterfaceAddress.Host(2, IPAddress.Parse("10.0.0.5")), Token));
        var request = Assert.Single(kernel.Requests);
        Assert.Equal(RouteConstants.RTM_NEWADDR, request.Header.Type);
        Assert.True(request.Header.Flags.HasFlag(NetlinkMessageFlags.Ack));
    }

    [Fact]
    public async Task DeletingAnAbsentAddressIsReportedNotThrown()
    {
        var kernel = new FakeKernel(_ => FakeReply.Fail(99));
        using var client = new InterfaceAddressClient(new NetlinkConnection(() => kernel));
        Assert.False(await client.DeleteAsync(InterfaceAddress.Host(2, IPAddress.Parse("10.0.0.5")), Token));
    }

    [Fact]
    public async Task OtherErrorsNameTheOperation()
    {
        var kernel = new FakeKernel(_ => FakeReply.Fail(1));
        using var client = new InterfaceAddressClient(new NetlinkConnection(() => kernel));
        var e = await Assert.ThrowsAsync<NetlinkException>(() => client.AddAsync(InterfaceAddress.Host(2, IPAddress.Parse("10.0.0.5")), Token));
        Assert.Equal(1, e.Errno);
        Assert.Contains("add address 10.0.0.5/32 to interface 2", e.Message);
    }

    [Fact]
    public void UnknownInterfaceNameIsNamed()
    {
        using var client = InterfaceAddressClient.Open();
        var e = Assert.Throws<InterfaceNotFoundException>(() => client.GetInterfaceIndex("no-such-if0"));
        Assert.Contains("no-such-if0", e.Message);
        Assert.Equal(1, client.GetInterfaceIndex("lo"));
    }

    /// <summary>The real kernel's address dump (every Linux kernel has rtnetlink), cross-checked with `ip -o addr`.</summary>
    [Fact]
    public async Task DumpMatchesIpAddrOnTheRealKernel()
    {
        using var client = InterfaceAddressClient.Open();
        var ours = (await client.GetAddressesAsync(Token))
            .Select(a => $"{a.InterfaceIndex} {a.Address}/{a.PrefixLength}").Order(StringComparer.Ordinal).ToList();

        var start = new ProcessStartInfo("ip", "-o addr show") { RedirectStandardOutput = true };
        using var ip = Process.Start(start)!;
        var text = await ip.StandardOutput.ReadToEndAsync(Token);
        await ip.WaitForExitAsync(Token);
        // "2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\       valid_lft forever ..."
        var theirs = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => $"{f[0].TrimEnd(':')} {(f[3].Contains('/') ? f[3] : f[3] + "/" + (f[2] == "inet" ? 32 : 128))}")
            .Select(s => { var parts = s.Split(' '); var slash = parts[1].IndexOf('/'); return $"{parts[0]} {IPAddress.Parse(parts[1][..slash])}{parts[1][slash..]}"; })
            .Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(ours);
        Assert.Contains("1 127.0.0.1/8", ours);
        Assert.Equal(theirs, ours);
    }
}

/// <summary>Add and delete on the real kernel, in a private network namespace (see <see cref="PrivateNetworkNamespace"/>).</summary>
public class InterfaceAddressKernelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddsListsAndDeletesHostAddressesOfBothFamilies()
    {
        var socket = PrivateNetworkNamespace.OpenRouteSocket();
        using var client = new InterfaceAddressClient(new NetlinkConnection(() => socket));
        var v4 = InterfaceAddress.Host(1, IPAddress.Parse("10.77.0.1"));
        var v6 = InterfaceAddress.Host(1, IPAddress.Parse("fd77::1"));

        Assert.True(await client.AddAsync(v4, Token));
        Assert.True(await client.AddAsync(v6, Token));
        Assert.False(await client.AddAsync(v4, Token)); // EEXIST: already there

        var listed = await client.GetAddressesAsync(Token);
        var got4 = Assert.Single(listed, a => a.Address.Equals(v4.Address));
        Assert.Equal((1, 32, RouteConstants.ScopeUniverse), (got4.InterfaceIndex, got4.PrefixLength, got4.Scope));
        var got6 = Assert.Single(listed, a => a.Address.Equals(v6.Address));
        Assert.Equal(128, got6.PrefixLength);
        Assert.True(got6.Flags.HasFlag(InterfaceAddressFlags.NoDad));
        Assert.False(got6.Flags.HasFlag(InterfaceAddressFlags.Tentative));

        Assert.True(await client.DeleteAsync(v4, Token));
        Assert.True(await client.DeleteAsync(v6, Token));
        Assert.False(await client.DeleteAsync(v4, Token)); // EADDRNOTAVAIL: already gone
        var after = await client.GetAddressesAsync(Token);
        Assert.DoesNotContain(after, a => a.Address.Equals(v4.Address) || a.Address.Equals(v6.Address));
    }

    [Fact]
    public async Task AddingToAMissingInterfaceIsAnError()
    {
        var socket = PrivateNetworkNamespace.OpenRouteSocket();
        using var client = new InterfaceAddressClient(new NetlinkConnection(() => socket));
        var e = await Assert.ThrowsAsync<NetlinkException>(() => client.AddAsync(InterfaceAddress.Host(999, IPAddress.Parse("10.77.0.1")), Token));
        Assert.Equal(19, e.Errno); // ENODEV
    }
}
