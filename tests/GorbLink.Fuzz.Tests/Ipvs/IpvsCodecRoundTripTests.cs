using System.Net;
using CsCheck;
using GorbLink.Fuzz.Tests.Support;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;
using GorbLink.Netlink;

namespace GorbLink.Fuzz.Tests.Ipvs;

/// <summary>Write then parse gives the same value, for every service and destination the model can express.</summary>
public class IpvsCodecRoundTripTests
{
    private static readonly Gen<IPAddress> V4 = Gen.UInt.Select(v => new IPAddress(BitConverter.GetBytes(v | 0x01000000)));
    private static readonly Gen<IPAddress> V6 = Gen.Byte.Array[16].Select(b => { b[0] = 0x20; return new IPAddress(b); });

    private static readonly Gen<VirtualService> Services =
        Gen.Select(Gen.Bool, Gen.OneOf(IpvsProtocol.Tcp, IpvsProtocol.Udp, IpvsProtocol.Sctp), Gen.UShort, Gen.UInt[0, 3], Gen.Int[0, 4])
            .SelectMany(t => Gen.Select(t.Item1 ? V6 : V4, Gen.OneOf("rr", "wrr", "lc", "wlc", "sh", "mh", "dh", "sed", "nq", "fo", "ovf", "lblc", "lblcr", "twos"),
                Gen.UInt[0, 100_000], Gen.Int[0, t.Item1 ? 128 : 32], Gen.Bool, Gen.Bool)
                .Select(u =>
                {
                    var key = t.Item4 == 0
                        ? VirtualServiceKey.ForFirewallMark(u.Item1.AddressFamily, (uint)t.Item5 + 1)
                        : VirtualServiceKey.For(t.Item2, u.Item1, t.Item3);
                    var full = t.Item1 ? 128 : 32;
                    return new VirtualService(key, new VirtualServiceSpec
                    {
                        Scheduler = u.Item2,
                        Flags = (u.Item5 ? ServiceFlags.OnePacket : 0) | (u.Item6 ? ServiceFlags.Sched1 | ServiceFlags.Sched3 : 0),
                        PersistenceTimeout = u.Item3,
                        NetmaskPrefixLength = u.Item3 == 0 || u.Item4 == 0 || u.Item4 == full ? null : u.Item4,
                        PersistenceEngine = u.Item3 > 0 && u.Item5 ? "sip" : null,
                    });
                }));

    private static readonly Gen<Destination> Destinations =
        Gen.Select(Gen.Bool, Gen.UShort, Gen.OneOf(ForwardMethod.Nat, ForwardMethod.Local, ForwardMethod.Tunnel, ForwardMethod.DirectRoute),
                Gen.Int[0, int.MaxValue], Gen.UInt, Gen.UInt, Gen.OneOf(TunnelType.Ipip, TunnelType.Gue, TunnelType.Gre))
            .SelectMany(t => (t.Item1 ? V6 : V4).Select(address => new Destination(new DestinationKey(address, t.Item2), new DestinationSpec
            {
                Forward = t.Item3,
                Weight = t.Item4,
                UpperThreshold = t.Item5,
                LowerThreshold = t.Item6,
                TunnelType = t.Item3 == ForwardMethod.Tunnel ? t.Item7 : TunnelType.Ipip,
                TunnelPort = t.Item3 == ForwardMethod.Tunnel && t.Item7 != TunnelType.Ipip ? (ushort)(t.Item2 | 1) : (ushort)0,
            })));

    private static ReadOnlySpan<byte> Payload(byte[] message) => message.AsSpan(NetlinkConstants.MessageHeaderLength);

    [Fact]
    public void AServiceWrittenThenParsedIsTheSameService()
    {
        FuzzRun.Run(Services, service =>
        {
            var parsed = IpvsCodec.ParseServiceMessage(Payload(IpvsCodec.NewService(IpvsSeeds.FamilyId, service))).Service;
            Assert.Equal(service, parsed);
        }, s => $"{s} {s.Spec}");
    }

    [Fact]
    public void ADestinationWrittenThenParsedIsTheSameDestination()
    {
        var service = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
        FuzzRun.Run(Destinations, destination =>
        {
            var bytes = IpvsCodec.NewDest(IpvsSeeds.FamilyId, service, destination);
            var parsed = IpvsCodec.ParseDestinationMessage(Payload(bytes), service.Family).Destination;
            Assert.Equal(destination, parsed);
        }, d => $"{d} {d.Spec}");
    }
}
