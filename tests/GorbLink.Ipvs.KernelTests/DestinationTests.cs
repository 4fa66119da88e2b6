using System.Net;
using System.Net.Sockets;
using GorbLink.Ipvs.Netlink;

namespace GorbLink.Ipvs.KernelTests;

public class DestinationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static Destination Dest(string address, ushort port, DestinationSpec spec) => new(new DestinationKey(IPAddress.Parse(address), port), spec);

    [Fact]
    public async Task NatDirectRouteAndTunnelDestinationsRoundTrip()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        await ipvs.CreateServiceAsync(new VirtualService(Web, new VirtualServiceSpec { Scheduler = "wrr" }), Ct);
        Destination[] destinations =
        [
            Dest("10.1.0.1", 8080, new DestinationSpec { Forward = ForwardMethod.Nat, Weight = 5, UpperThreshold = 100, LowerThreshold = 10 }),
            Dest("10.1.0.2", 80, new DestinationSpec { Forward = ForwardMethod.DirectRoute, Weight = 1 }),
            Dest("10.1.0.3", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 2, TunnelType = TunnelType.Ipip }),
            Dest("10.1.0.4", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 2, TunnelType = TunnelType.Gue, TunnelPort = 6080 }),
            Dest("10.1.0.5", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 2, TunnelType = TunnelType.Gre }),
            Dest("10.1.0.6", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 4, TunnelType = TunnelType.Gre, TunnelFlags = TunnelFlags.Checksum }),
            // A tunnel service may mix families: an IPv6 destination on an IPv4 service.
            Dest("fd00::5", 80, new DestinationSpec { Forward = ForwardMethod.Tunnel, Weight = 3, TunnelType = TunnelType.Ipip }),
        ];
        foreach (var destination in destinations) await ipvs.CreateDestinationAsync(Web, destination, Ct);

        var read = (await ipvs.GetDestinationsAsync(Web, Ct)).Select(d => d.Destination).ToHashSet();
        Assert.Equal(destinations.ToHashSet(), read);
        var save = KernelIpvs.IpvsadmSave();
        // ipvsadm -S does not print thresholds; our reader checked them above.
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 5", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.2:80 -g -w 1", save);
        // Tunnel destinations: ipvsadm prints the type, and for GUE and GRE the port and checksum flags it read back.
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.3:80 -i -w 2 --tun-type ipip", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.4:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-nocsum", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.5:80 -i -w 2 --tun-type gre --tun-nocsum", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.6:80 -i -w 4 --tun-type gre --tun-csum", save);
        Assert.Contains("-a -t 10.0.0.1:80 -r [fd00::5]:80 -i -w 3 --tun-type ipip", save);
        Assert.Equal(destinations.Length, save.Count(l => l.StartsWith("-a ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UpdateChangesWeightInPlaceAndDeleteRemovesOnlyThatDestination()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        await ipvs.CreateServiceAsync(new VirtualService(Web, VirtualServiceSpec.Default), Ct);
        var a = Dest("10.1.0.1", 8080, new DestinationSpec { Weight = 1 });
        var b = Dest("10.1.0.2", 8080, new DestinationSpec { Weight = 1 });
        await ipvs.CreateDestinationAsync(Web, a, Ct);
        await ipvs.CreateDestinationAsync(Web, b, Ct);

        await ipvs.UpdateDestinationAsync(Web, a with { Spec = a.Spec with { Weight = 0 } }, Ct);
        await ipvs.DeleteDestinationAsync(Web, b.Key, Ct);

        var only = Assert.Single(await ipvs.GetDestinationsAsync(Web, Ct));
        Assert.Equal((a.Key, 0), (only.Key, only.Destination.Spec.Weight));
        Assert.Contains("-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 0", KernelIpvs.IpvsadmSave());
    }

    [Fact]
    public async Task DestinationErrorsNameTheDestinationAndService()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var a = Dest("10.1.0.1", 8080, DestinationSpec.Default);
        var noService = await Assert.ThrowsAsync<IpvsException>(() => ipvs.CreateDestinationAsync(Web, a, Ct));
        Assert.Equal("cannot add destination 10.1.0.1:8080 of service tcp 10.0.0.1:80: no such service tcp 10.0.0.1:80", noService.Message);

        await ipvs.CreateServiceAsync(new VirtualService(Web, VirtualServiceSpec.Default), Ct);
        await ipvs.CreateDestinationAsync(Web, a, Ct);
        var exists = await Assert.ThrowsAsync<IpvsException>(() => ipvs.CreateDestinationAsync(Web, a, Ct));
        Assert.Equal("destination 10.1.0.1:8080 of service tcp 10.0.0.1:80 already exists", exists.Message);

        var missing = await Assert.ThrowsAsync<IpvsException>(() => ipvs.DeleteDestinationAsync(Web, new DestinationKey(IPAddress.Parse("10.1.0.9"), 1), Ct));
        Assert.Equal("no such destination 10.1.0.9:1 of service tcp 10.0.0.1:80", missing.Message);

        var wrongFamily = await Assert.ThrowsAsync<IpvsException>(() =>
            ipvs.CreateDestinationAsync(Web, Dest("fd00::1", 80, DestinationSpec.Default), Ct));
        Assert.Equal(22, wrongFamily.Errno);
        Assert.Contains("destination [fd00::1]:80 of service tcp 10.0.0.1:80", wrongFamily.Message);

        var badThreshold = await Assert.ThrowsAsync<IpvsException>(() =>
            ipvs.CreateDestinationAsync(Web, Dest("10.1.0.3", 80, new DestinationSpec { UpperThreshold = 5, LowerThreshold = 10 }), Ct));
        Assert.Contains("out of range", badThreshold.Message);
    }

    [Fact]
    public async Task BatchOfThousandsAppliesInOrderAndNamesTheOneFailure()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var operations = new List<IpvsOperation>();
        for (var s = 0; s < 200; s++)
        {
            var key = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse($"10.2.{s / 250}.{s % 250 + 1}"), 80);
            operations.Add(new IpvsOperation.CreateService(new VirtualService(key, new VirtualServiceSpec { Scheduler = "rr" })));
            for (var d = 0; d < 5; d++)
                operations.Add(new IpvsOperation.CreateDestination(key, Dest($"10.3.{s % 250}.{d + 1}", 8080, DestinationSpec.Default)));
        }
        // A duplicate in the middle: the kernel refuses it and applies the rest.
        var duplicate = (IpvsOperation.CreateDestination)operations[601];
        operations.Insert(602, duplicate);

        var result = await ipvs.ExecuteAsync(operations, Ct);

        var failure = Assert.Single(result.Failures);
        Assert.Equal($"{duplicate.Target} already exists", failure.Message);
        Assert.Equal(602, failure.Index); // the second copy; the kernel applied the first
        Assert.True(failure.Error.Errno.AlreadyExists);
        var save = KernelIpvs.IpvsadmSave();
        Assert.Equal(200, save.Count(l => l.StartsWith("-A ")));
        Assert.Equal(1000, save.Count(l => l.StartsWith("-a ")));
        var table = await ipvs.GetTableAsync(Ct);
        Assert.Equal(1000, table.Sum(t => t.Destinations.Count));
    }

    /// <summary>
    /// ZERO on a service that really carried traffic: TCP connections from this machine to a VIP on a dummy interface
    /// the test makes, scheduled by IPVS to a listener on 127.0.0.1 (nothing leaves the VM). The counters must first
    /// show the traffic (to us and to ipvsadm), then read 0 after ZERO of the service, and again after ZERO of all.
    /// </summary>
    [Fact]
    public async Task CountersOfAServiceThatCarriedTrafficAreZeroed()
    {
        await using var ipvs = await KernelIpvs.OpenCleanAsync();
        var vip = IPAddress.Parse("10.95.0.1");
        using var device = KernelIpvs.LocalAddress("glkzero0", vip.ToString());
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        // A destination on a local address is forwarded locally (no port translation), so the service uses the listener's port too.
        var port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        var key = VirtualServiceKey.For(IpvsProtocol.Tcp, vip, port);
        await ipvs.CreateServiceAsync(new VirtualService(key, new VirtualServiceSpec { Scheduler = "rr" }), Ct);
        await ipvs.CreateDestinationAsync(key, Dest("127.0.0.1", port, DestinationSpec.Default), Ct);

        // ZERO of the one service.
        await ConnectThroughAsync(listener, new IPEndPoint(vip, port), 3);
        var (service, destination) = await SettledCountersAsync(ipvs, key, 3);
        TestContext.Current.TestOutputHelper?.WriteLine($"before ZERO: service {service.Stats}, destination {destination.Stats}");
        AssertCarried(service, 3);
        AssertCarried(destination, 3);
        Assert.Equal(Counters(service), IpvsadmCounters(key, "TCP", $"{vip}:{port}"));
        Assert.Equal(Counters(destination), IpvsadmCounters(key, "->", $"127.0.0.1:{port}"));

        await ipvs.ZeroAsync(key, Ct);

        Assert.Equal(IpvsStats.Empty, (await ipvs.GetServiceAsync(key, Ct))!.Stats);
        Assert.Equal(IpvsStats.Empty, Assert.Single(await ipvs.GetDestinationsAsync(key, Ct)).Stats);
        Assert.Equal((0ul, 0ul, 0ul, 0ul, 0ul), IpvsadmCounters(key, "TCP", $"{vip}:{port}"));
        Assert.Equal((0ul, 0ul, 0ul, 0ul, 0ul), IpvsadmCounters(key, "->", $"127.0.0.1:{port}"));

        // ZERO of all: the counters count again from 0, and are zeroed again.
        await ConnectThroughAsync(listener, new IPEndPoint(vip, port), 2);
        (service, destination) = await SettledCountersAsync(ipvs, key, 2);
        AssertCarried(service, 2);
        AssertCarried(destination, 2);

        await ipvs.ZeroAsync(null, Ct);

        Assert.Equal(IpvsStats.Empty, (await ipvs.GetServiceAsync(key, Ct))!.Stats);
        Assert.Equal(IpvsStats.Empty, Assert.Single(await ipvs.GetDestinationsAsync(key, Ct)).Stats);
        Assert.Equal((0ul, 0ul, 0ul, 0ul, 0ul), IpvsadmCounters(key, "TCP", $"{vip}:{port}"));

        var missing = await Assert.ThrowsAsync<IpvsException>(() =>
            ipvs.ZeroAsync(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.9.9.9"), 1), Ct));
        Assert.Contains("no such service tcp 10.9.9.9:1", missing.Message);
    }

    private static void AssertCarried(VirtualServiceStatus service, ulong connections) =>
        AssertCarried(service.Stats, connections, $"service {service.Key}");

    private static void AssertCarried(DestinationStatus destination, ulong connections) =>
        AssertCarried(destination.Stats, connections, $"destination {destination.Key}");

    private static void AssertCarried(IpvsStats stats, ulong connections, string what)
    {
        Assert.True(stats.Connections == connections, $"{what}: {stats.Connections} connections counted, expected {connections}: {stats}");
        // Each connection is at least SYN, ACK, data, FIN and the last ACK from the client: 5 packets, 4 bytes of data.
        Assert.True(stats.InPackets >= 5 * connections, $"{what}: only {stats.InPackets} packets in: {stats}");
        Assert.True(stats.InBytes >= stats.InPackets * 40, $"{what}: only {stats.InBytes} bytes in: {stats}");
        // The server's answers (pong, its FIN) are counted on the way out.
        Assert.True(stats.OutPackets >= 2 * connections && stats.OutBytes > 0, $"{what}: only {stats.OutPackets} packets out: {stats}");
    }

    private static (ulong Connections, ulong InPackets, ulong OutPackets, ulong InBytes, ulong OutBytes) Counters(VirtualServiceStatus s) => Counters(s.Stats);
    private static (ulong Connections, ulong InPackets, ulong OutPackets, ulong InBytes, ulong OutBytes) Counters(DestinationStatus d) => Counters(d.Stats);
    private static (ulong Connections, ulong InPackets, ulong OutPackets, ulong InBytes, ulong OutBytes) Counters(IpvsStats s) =>
        (s.Connections, s.InPackets, s.OutPackets, s.InBytes, s.OutBytes);

    /// <summary>
    /// The counters (connections, packets in, out, bytes in, out) that `ipvsadm -Ln --stats --exact` prints on the line
    /// of the service (<c>TCP vip:port ...</c>) or of a destination (<c>-> address:port ...</c>).
    /// </summary>
    private static (ulong, ulong, ulong, ulong, ulong) IpvsadmCounters(VirtualServiceKey key, string first, string endpoint)
    {
        var output = KernelIpvs.Run("ipvsadm", $"-Ln --stats --exact -t {key.Address}:{key.Port}");
        var fields = output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(f => f.Length >= 2 && f[0] == first && f[1] == endpoint)
            ?? throw new Xunit.Sdk.XunitException($"no line '{first} {endpoint} ...' in ipvsadm's output:\n{output}");
        Assert.True(fields.Length == 7, $"expected 5 counters after '{first} {endpoint}' in ipvsadm's output:\n{output}");
        var n = fields[2..].Select(v => ulong.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (n[0], n[1], n[2], n[3], n[4]);
    }

    /// <summary>
    /// Makes <paramref name="count"/> TCP connections to <paramref name="target"/>, each a full exchange (ping, pong,
    /// then FIN both ways), so no packet of it is still to come when this returns.
    /// </summary>
    private static async Task ConnectThroughAsync(TcpListener listener, IPEndPoint target, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var token = timeout.Token;
        for (var i = 0; i < count; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accepting = listener.AcceptSocketAsync(token);
            await client.ConnectAsync(target, token);
            using var server = await accepting;
            await client.SendAsync("ping"u8.ToArray(), token);
            Assert.Equal("ping", await ReceiveToEndOrAsync(server, 4, token));
            await server.SendAsync("pong"u8.ToArray(), token);
            Assert.Equal("pong", await ReceiveToEndOrAsync(client, 4, token));
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal("", await ReceiveToEndOrAsync(server, 1, token)); // the client's FIN arrived
            server.Shutdown(SocketShutdown.Send);
            Assert.Equal("", await ReceiveToEndOrAsync(client, 1, token)); // the server's FIN arrived
        }
    }

    /// <summary>Receives until <paramref name="length"/> bytes or the end of the stream.</summary>
    private static async Task<string> ReceiveToEndOrAsync(Socket socket, int length, CancellationToken token)
    {
        var buffer = new byte[length];
        var received = 0;
        while (received < length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(received), token);
            if (n == 0) break;
            received += n;
        }
        return System.Text.Encoding.ASCII.GetString(buffer, 0, received);
    }

    /// <summary>
    /// The kernel folds its per-CPU counters into what it reports every 2 s (the rate estimator). Polls (up to 30 s)
    /// until both the service and its one destination count <paramref name="connections"/> connections and no
    /// counter has moved for 3 s, so ZERO cannot race with traffic still being folded in.
    /// </summary>
    private static async Task<(VirtualServiceStatus, DestinationStatus)> SettledCountersAsync(IpvsNetlinkClient ipvs, VirtualServiceKey key, ulong connections)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stableSince = TimeSpan.Zero;
        object? last = null;
        while (true)
        {
            var service = (await ipvs.GetServiceAsync(key, Ct))!;
            var destination = Assert.Single(await ipvs.GetDestinationsAsync(key, Ct));
            var now = (Counters(service), Counters(destination));
            if (!now.Equals(last))
            {
                last = now;
                stableSince = clock.Elapsed;
            }
            if (service.Stats.Connections >= connections && destination.Stats.Connections >= connections
                && clock.Elapsed - stableSince >= TimeSpan.FromSeconds(3))
                return (service, destination);
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
                Assert.Fail($"after 30 s the counters are not {connections} connections, settled: service {service.Stats}, destination {destination.Stats}");
            await Task.Delay(250, Ct);
        }
    }
}
