using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Planning;
using GorbLink.Core.StateFiles;
using GorbLink.Ipvs;
using static GorbLink.Testing.KernelTables;

namespace GorbLink.Core.Tests.StateFiles;

public sealed class StateFileWriterTests
{
    private static IReadOnlyList<VirtualServiceTable> SampleKernelTable() =>
    [
        Readback(Service(Fwmark(7, AddressFamily.InterNetworkV6), new VirtualServiceSpec { Scheduler = "rr", PersistenceTimeout = 60, NetmaskPrefixLength = 64 },
            Dest("2001:db8::10", 0, new DestinationSpec { Forward = ForwardMethod.DirectRoute }))),
        Readback(Service(Udp("10.0.0.1", 53), new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched2 | ServiceFlags.OnePacket })),
        Readback(Service(Tcp("10.0.0.1", 80), new VirtualServiceSpec { PersistenceTimeout = 300, NetmaskPrefixLength = 24, PersistenceEngine = "sip" },
            Dest("10.1.0.2", 8080, new DestinationSpec { Forward = ForwardMethod.Local, Weight = 3, UpperThreshold = 10, LowerThreshold = 5, TunnelPort = 99 }),
            Dest("2001:db8::20", 8080, new DestinationSpec { Forward = ForwardMethod.Tunnel, TunnelType = TunnelType.Gue, TunnelPort = 6080, TunnelFlags = TunnelFlags.Checksum }),
            Dest("10.1.0.1", 8080, new DestinationSpec { Forward = ForwardMethod.Tunnel, TunnelType = TunnelType.Gre, TunnelPort = 1 }))),
    ];

    [Fact]
    public void WritesTheStateFileSchemaInIpvsadmOrderWithoutKernelDetails()
    {
        Assert.Equal(
            """
            {
              "services": [
                {
                  "protocol": "tcp",
                  "address": "10.0.0.1",
                  "port": 80,
                  "scheduler": "wrr",
                  "persistence": 300,
                  "netmask": "255.255.255.0",
                  "pe": "sip",
                  "destinations": [
                    {
                      "address": "10.1.0.1",
                      "port": 8080,
                      "forward": "tunnel",
                      "weight": 1,
                      "upperThreshold": 0,
                      "lowerThreshold": 0,
                      "tunnel": "gre"
                    },
                    {
                      "address": "10.1.0.2",
                      "port": 8080,
                      "forward": "nat",
                      "weight": 3,
                      "upperThreshold": 10,
                      "lowerThreshold": 5
                    },
                    {
                      "address": "2001:db8::20",
                      "port": 8080,
                      "forward": "tunnel",
                      "weight": 1,
                      "upperThreshold": 0,
                      "lowerThreshold": 0,
                      "tunnel": "gue",
                      "tunnelPort": 6080,
                      "tunnelFlags": [
                        "csum"
                      ]
                    }
                  ]
                },
                {
                  "protocol": "udp",
                  "address": "10.0.0.1",
                  "port": 53,
                  "scheduler": "sh",
                  "flags": [
                    "sh-port",
                    "one-packet"
                  ],
                  "destinations": []
                },
                {
                  "fwmark": 7,
                  "family": "inet6",
                  "scheduler": "rr",
                  "persistence": 60,
                  "netmask": "/64",
                  "destinations": [
                    {
                      "address": "2001:db8::10",
                      "port": 0,
                      "forward": "dr",
                      "weight": 1,
                      "upperThreshold": 0,
                      "lowerThreshold": 0
                    }
                  ]
                }
              ]
            }

            """.ReplaceLineEndings("\n"),
            StateFileWriter.Write(SampleKernelTable()));
    }

    [Fact]
    public void WritesStatsWhenAsked()
    {
        var table = new VirtualServiceTable(
            new VirtualServiceStatus(new VirtualService(Tcp("10.0.0.1", 80), VirtualServiceSpec.Default),
                new IpvsStats { Connections = 12, InPackets = 100, OutPackets = 90, InBytes = 6000, OutBytes = 120000, ConnectionsPerSecond = 1 }),
            [new DestinationStatus(Dest("10.1.0.1", 8080), 2, 1, 4,
                new IpvsStats { Connections = 11, InPackets = 99, OutPackets = 89, InBytes = 5999, OutBytes = 18446744073709551615 })]);

        Assert.Equal(
            """
            {
              "services": [
                {
                  "protocol": "tcp",
                  "address": "10.0.0.1",
                  "port": 80,
                  "scheduler": "wrr",
                  "stats": {
                    "connections": 12,
                    "inPackets": 100,
                    "outPackets": 90,
                    "inBytes": 6000,
                    "outBytes": 120000
                  },
                  "destinations": [
                    {
                      "address": "10.1.0.1",
                      "port": 8080,
                      "forward": "nat",
                      "weight": 1,
                      "upperThreshold": 0,
                      "lowerThreshold": 0,
                      "stats": {
                        "activeConnections": 2,
                        "inactiveConnections": 1,
                        "connections": 11,
                        "inPackets": 99,
                        "outPackets": 89,
                        "inBytes": 5999,
                        "outBytes": 18446744073709551615
                      }
                    }
                  ]
                }
              ]
            }

            """.ReplaceLineEndings("\n"),
            StateFileWriter.Write([table], includeStats: true));
    }

    [Fact]
    public void OutputWithStatsReadsBackAsWithout()
    {
        var withStats = StateFileReader.Parse(StateFileWriter.Write(SampleKernelTable(), includeStats: true));
        var without = StateFileReader.Parse(StateFileWriter.Write(SampleKernelTable()));
        Assert.Equal(Dump(without), Dump(withStats));
    }

    [Fact]
    public void EmptyTable()
    {
        Assert.Equal("{\n  \"services\": []\n}\n", StateFileWriter.Write([]));
        Assert.Empty(StateFileReader.Parse(StateFileWriter.Write([])));
    }

    [Fact]
    public void SampleRoundTripsToAnEmptyPlan()
    {
        var kernel = SampleKernelTable();
        var desired = StateFileReader.Parse(StateFileWriter.Write(kernel));

        Assert.Equal(kernel.Count, desired.Count);
        Assert.True(IpvsPlanner.Plan(desired, kernel).IsEmpty, IpvsPlanner.Plan(desired, kernel).Describe());
        Assert.Equal(StateFileWriter.Write(kernel), StateFileWriter.Write(Tables([.. desired])));
    }

    /// <summary>
    /// Property: for any kernel table within the state file's ranges, reading what the writer wrote gives services that
    /// plan to nothing against that table, and writing them again gives the same text.
    /// </summary>
    [Fact]
    public void RandomKernelTablesRoundTripToAnEmptyPlan()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var kernel = RandomKernelTable(new Random(seed));
            var json = StateFileWriter.Write(kernel, includeStats: seed % 2 == 0);
            var desired = StateFileReader.Parse(json, $"seed {seed}");

            var plan = IpvsPlanner.Plan(desired, kernel, new IpvsPlannerOptions { Prune = true });
            Assert.True(plan.IsEmpty, $"seed {seed}:\n{plan.Describe()}\n{json}");
            Assert.Equal(StateFileWriter.Write(kernel), StateFileWriter.Write(Tables([.. desired])));
        }
    }

    private static readonly string[] Schedulers = [.. IpvsNames.MainlineSchedulers, "none"];

    private static List<VirtualServiceTable> RandomKernelTable(Random random)
    {
        var tables = new Dictionary<VirtualServiceKey, VirtualServiceTable>();
        var count = random.Next(0, 6);
        while (tables.Count < count)
        {
            var v6 = random.Next(3) == 0;
            var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            var persistence = random.Next(3) == 0 ? (uint)random.Next(1, 2678401) : 0u;
            VirtualServiceKey key = random.Next(4) switch
            {
                0 => VirtualServiceKey.ForFirewallMark(family, (uint)random.Next(1, int.MaxValue)),
                _ => VirtualServiceKey.For((IpvsProtocol)new[] { 6, 17, 132 }[random.Next(3)], RandomAddress(random, v6),
                    persistence > 0 && random.Next(4) == 0 ? (ushort)0 : (ushort)random.Next(1, 65536)),
            };
            var flags = (ServiceFlags)(random.Next(0, 64) & ~0x3) | ServiceFlags.Hashed | (persistence > 0 ? ServiceFlags.Persistent : 0);
            var spec = new VirtualServiceSpec
            {
                Scheduler = Schedulers[random.Next(Schedulers.Length)],
                Flags = flags,
                PersistenceTimeout = persistence,
                NetmaskPrefixLength = random.Next(3) switch
                {
                    0 => null,
                    1 => v6 ? 128 : 32,
                    _ => v6 ? random.Next(1, 129) : random.Next(0, 33),
                },
                PersistenceEngine = random.Next(4) == 0 ? "sip" : "",
            };

            var destinations = new Dictionary<DestinationKey, DestinationStatus>();
            var destinationCount = random.Next(0, 5);
            while (destinations.Count < destinationCount)
            {
                var forward = new[] { ForwardMethod.Nat, ForwardMethod.DirectRoute, ForwardMethod.Tunnel, ForwardMethod.Local }[random.Next(4)];
                var destinationV6 = forward == ForwardMethod.Tunnel && random.Next(3) == 0 ? !v6 : v6;
                var upper = (uint)random.Next(0, 1000);
                var tunnel = (TunnelType)random.Next(3);
                var destinationSpec = new DestinationSpec
                {
                    Forward = forward,
                    Weight = random.Next(0, 65536),
                    UpperThreshold = upper,
                    LowerThreshold = (uint)random.Next(0, (int)upper + 1),
                    TunnelType = tunnel,
                    TunnelPort = tunnel == TunnelType.Gue ? (ushort)random.Next(1, 65536) : (ushort)random.Next(0, 3),
                    TunnelFlags = (TunnelFlags)random.Next(4),
                };
                var port = key.IsFirewallMark || key.Port == 0 ? (ushort)random.Next(0, 65536) : (ushort)random.Next(1, 65536);
                var destination = new Destination(new DestinationKey(RandomAddress(random, destinationV6), port), destinationSpec);
                destinations.TryAdd(destination.Key, new DestinationStatus(destination, (uint)random.Next(), (uint)random.Next(), 0, RandomStats(random)));
            }
            tables.TryAdd(key, new VirtualServiceTable(new VirtualServiceStatus(new VirtualService(key, spec), RandomStats(random)), [.. destinations.Values]));
        }
        return [.. tables.Values];
    }

    private static IPAddress RandomAddress(Random random, bool v6)
    {
        var bytes = new byte[v6 ? 16 : 4];
        random.NextBytes(bytes);
        bytes[0] = v6 ? (byte)0x20 : (byte)random.Next(1, 224);
        return new IPAddress(bytes);
    }

    private static IpvsStats RandomStats(Random random) => new()
    {
        Connections = (ulong)random.NextInt64(),
        InPackets = (ulong)random.NextInt64(),
        OutPackets = (ulong)random.NextInt64(),
        InBytes = (ulong)random.NextInt64(),
        OutBytes = (ulong)random.NextInt64(),
    };
}
