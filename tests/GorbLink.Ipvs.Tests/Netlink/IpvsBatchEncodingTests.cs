using System.Net;
using GorbLink.Ipvs.Netlink;
using GorbLink.Netlink;

namespace GorbLink.Ipvs.Tests.Netlink;

/// <summary>A batch is written into one buffer (<see cref="IpvsCodec.AppendOperation"/>): the same bytes as each command's builder, whose golden bytes IpvsCodecTests holds.</summary>
public class IpvsBatchEncodingTests
{
    private const ushort Family = 0x23;
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly VirtualService Service = new(Web, new VirtualServiceSpec { Scheduler = "wrr", PersistenceTimeout = 300 });
    private static readonly Destination Backend = new(new DestinationKey(IPAddress.Parse("fd00::9"), 8080),
        new DestinationSpec { Forward = ForwardMethod.Tunnel, TunnelType = TunnelType.Gue, TunnelPort = 6080, Weight = 3 });

    private static readonly string[] KindNames =
        ["create service", "update service", "delete service", "create destination", "update destination", "delete destination"];

    public static TheoryData<string> Kinds => new(KindNames);

    private static (IpvsOperation Operation, byte[] Expected) Case(string kind) => kind switch
    {
        "create service" => (new IpvsOperation.CreateService(Service), IpvsCodec.NewService(Family, Service)),
        "update service" => (new IpvsOperation.UpdateService(Service), IpvsCodec.SetService(Family, Service)),
        "delete service" => (new IpvsOperation.DeleteService(Web), IpvsCodec.DelService(Family, Web)),
        "create destination" => (new IpvsOperation.CreateDestination(Web, Backend), IpvsCodec.NewDest(Family, Web, Backend)),
        "update destination" => (new IpvsOperation.UpdateDestination(Web, Backend), IpvsCodec.SetDest(Family, Web, Backend)),
        "delete destination" => (new IpvsOperation.DeleteDestination(Web, Backend.Key), IpvsCodec.DelDest(Family, Web, Backend.Key)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AnOperationEncodesAsItsCommandsBuilderDoes(string kind)
    {
        var (operation, expected) = Case(kind);
        Assert.Equal(expected, IpvsCodec.Operation(Family, operation));
    }

    [Fact]
    public void OperationsAppendedToOneBufferFollowEachOther()
    {
        var buffer = new NetlinkBuffer(16);
        var expected = new List<byte>();
        foreach (var kind in KindNames)
        {
            var (operation, bytes) = Case(kind);
            IpvsCodec.AppendOperation(buffer, Family, operation);
            expected.AddRange(bytes);
        }
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
    }
}
