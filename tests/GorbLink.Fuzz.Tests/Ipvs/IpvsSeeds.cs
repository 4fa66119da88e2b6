using System.Net;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;
using GorbLink.Netlink;

namespace GorbLink.Fuzz.Tests.Ipvs;

/// <summary>
/// Seed datagrams for the netlink targets, made by the production encoders: NEW_SERVICE/NEW_DEST carry the same
/// attribute nests as the kernel's dump replies. The saved files in corpus/netlink (replies captured from the VM's
/// kernel, and past findings) are added to these.
/// </summary>
public static class IpvsSeeds
{
    public const ushort FamilyId = 0x23;

    public static IReadOnlyList<VirtualService> Services { get; } =
    [
        new(VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80), new VirtualServiceSpec { Scheduler = "rr" }),
        new(VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("2001:db8::1"), 53),
            new VirtualServiceSpec { Scheduler = "wlc", Flags = ServiceFlags.Persistent, PersistenceTimeout = 300, NetmaskPrefixLength = 64 }),
        new(VirtualServiceKey.ForFirewallMark(System.Net.Sockets.AddressFamily.InterNetwork, 7),
            new VirtualServiceSpec { Scheduler = "sh", Flags = ServiceFlags.Sched1 | ServiceFlags.Sched2 }),
    ];

    public static IReadOnlyList<Destination> Destinations { get; } =
    [
        new(new DestinationKey(IPAddress.Parse("172.17.0.2"), 8080), new DestinationSpec { Weight = 5 }),
        new(new DestinationKey(IPAddress.Parse("2001:db8::10"), 53), new DestinationSpec { Forward = ForwardMethod.DirectRoute, Weight = 0, UpperThreshold = 10 }),
        new(new DestinationKey(IPAddress.Parse("192.0.2.9"), 0), new DestinationSpec { Forward = ForwardMethod.Tunnel, TunnelType = TunnelType.Gue, TunnelPort = 6080 }),
    ];

    /// <summary>Messages as the kernel's replies would frame them (header type = family, Multi), joined into datagrams.</summary>
    public static byte[][] Datagrams()
    {
        var messages = new List<byte[]>();
        foreach (var service in Services) messages.Add(IpvsCodec.NewService(FamilyId, service));
        foreach (var destination in Destinations) messages.Add(IpvsCodec.NewDest(FamilyId, Services[0].Key, destination));
        messages.Add(IpvsCodec.NewDaemon(FamilyId, new SyncDaemon { State = SyncDaemonState.Master, Interface = "eth0", SyncId = 7 }));
        messages.Add(IpvsCodec.SetConfig(FamilyId, new IpvsTimeouts(900, 120, 300)));
        messages.Add(Error(22, 0xFFFFFFFBu, capped: false));
        messages.Add(Error(17, 36, capped: true));
        messages.Add(Done());
        var datagrams = messages.Select(m => m).ToList();
        datagrams.Add([.. messages[0], .. messages[3], .. messages[^1]]);
        return [.. datagrams];
    }

    private static byte[] Error(int errno, uint echoedLength, bool capped)
    {
        var bytes = new byte[NetlinkConstants.MessageHeaderLength + 4 + NetlinkConstants.MessageHeaderLength + 12];
        var flags = NetlinkMessageFlags.AckTlvs | (capped ? NetlinkMessageFlags.Capped : 0);
        new NetlinkMessageHeader((uint)bytes.Length, NetlinkConstants.NLMSG_ERROR, flags, 1, 0).Write(bytes);
        NativeEndian.Write(bytes.AsSpan(16), (uint)-errno);
        new NetlinkMessageHeader(echoedLength, FamilyId, NetlinkMessageFlags.Request, 1, 0).Write(bytes.AsSpan(20));
        // NLMSGERR_ATTR_MSG "bad"
        bytes[36] = 8; bytes[38] = (byte)NetlinkConstants.NLMSGERR_ATTR_MSG; bytes[40] = (byte)'b'; bytes[41] = (byte)'a'; bytes[42] = (byte)'d';
        return bytes;
    }

    private static byte[] Done()
    {
        var bytes = new byte[NetlinkConstants.MessageHeaderLength + 4];
        new NetlinkMessageHeader((uint)bytes.Length, NetlinkConstants.NLMSG_DONE, NetlinkMessageFlags.Multi, 1, 0).Write(bytes);
        return bytes;
    }
}
