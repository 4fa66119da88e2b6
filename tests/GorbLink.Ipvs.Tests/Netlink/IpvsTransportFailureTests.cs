using System.Net;
using GorbLink.Ipvs.Netlink;
using GorbLink.Netlink;
using GorbLink.Netlink.Generic;
using GorbLink.Netlink.Testing;

namespace GorbLink.Ipvs.Tests.Netlink;

/// <summary>
/// A reply that cannot be parsed, or a socket that fails, is still an <see cref="IpvsException"/> naming the object:
/// callers (serve, the reconciler) handle one exception type (issue 15, finding 3).
/// </summary>
public class IpvsTransportFailureTests
{
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    private static FakeReply FamilyReply()
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        writer.WriteGenericHeader(GenericNetlink.CTRL_CMD_NEWFAMILY, 2);
        writer.WriteU16(GenericNetlink.CTRL_ATTR_FAMILY_ID, 0x23);
        writer.WriteString(GenericNetlink.CTRL_ATTR_FAMILY_NAME, "IPVS");
        return FakeReply.With(buffer.ToArray());
    }

    [Fact]
    public async Task AMalformedReplyToADumpIsAnIpvsExceptionNamingWhatWasRead()
    {
        // A reply message too short for a genetlink header where the kernel would only ACK.
        var kernel = new FakeKernel(r => r.Header.Type == GenericNetlink.ControllerFamilyId ? FamilyReply() : FakeReply.With([1]));
        await using var client = await IpvsNetlinkClient.OpenAsync(new NetlinkConnection(() => kernel), TestContext.Current.CancellationToken);

        var dump = await Assert.ThrowsAnyAsync<IpvsException>(() => client.GetServicesAsync(TestContext.Current.CancellationToken));
        Assert.IsType<NetlinkProtocolException>(dump.InnerException);
        Assert.Contains("all services", dump.Message);
    }

    [Fact]
    public async Task ATimedOutWriteIsAnIpvsExceptionNamingTheService()
    {
        var silent = new SilentAfterFamily(FamilyReply());
        var connection = new NetlinkConnection(() => silent) { ReplyTimeout = TimeSpan.FromMilliseconds(100) };
        await using var client = await IpvsNetlinkClient.OpenAsync(connection, TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAnyAsync<IpvsException>(() =>
            client.CreateServiceAsync(new VirtualService(Web, new VirtualServiceSpec { Scheduler = "rr" }), TestContext.Current.CancellationToken));
        Assert.Equal(IpvsOperationKind.CreateService, error.Operation);
        Assert.Equal("service tcp 10.0.0.1:80", error.Target);
        Assert.Equal(110, error.Errno);
        Assert.StartsWith("create service tcp 10.0.0.1:80: ", error.Message);
    }

    /// <summary>Answers the family lookup like the kernel, then never answers again.</summary>
    private sealed class SilentAfterFamily(FakeReply family) : INetlinkTransport
    {
        private readonly FakeKernel _kernel = new(_ => family);
        private bool _resolved;
        public uint PortId => _kernel.PortId;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
        {
            if (_resolved) return ValueTask.CompletedTask;
            _resolved = true;
            return _kernel.SendAsync(datagram, cancellationToken);
        }

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            await _kernel.ReceiveAsync(buffer, cancellationToken);

        public void Dispose() { }
    }
}
