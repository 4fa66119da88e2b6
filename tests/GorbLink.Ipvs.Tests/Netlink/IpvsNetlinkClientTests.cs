using System.Net;
using GorbLink.Ipvs.Netlink;
using GorbLink.Netlink;
using GorbLink.Netlink.Generic;
using GorbLink.Netlink.Testing;

namespace GorbLink.Ipvs.Tests.Netlink;

/// <summary>Error wording and batching of the client, against a fake kernel.</summary>
public class IpvsNetlinkClientTests
{
    private const ushort IpvsFamilyId = 0x23;
    private static readonly VirtualServiceKey Web = VirtualServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    private static async Task<(IpvsNetlinkClient Client, FakeKernel Kernel)> Open(Func<FakeRequest, FakeReply> ipvs)
    {
        var kernel = new FakeKernel(r => r.Header.Type == GenericNetlink.ControllerFamilyId ? FamilyReply() : ipvs(r));
        var client = await IpvsNetlinkClient.OpenAsync(new NetlinkConnection(() => kernel), TestContext.Current.CancellationToken);
        return (client, kernel);
    }

    private static FakeReply FamilyReply()
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        writer.WriteGenericHeader(GenericNetlink.CTRL_CMD_NEWFAMILY, 2);
        writer.WriteU16(GenericNetlink.CTRL_ATTR_FAMILY_ID, IpvsFamilyId);
        writer.WriteString(GenericNetlink.CTRL_ATTR_FAMILY_NAME, "IPVS");
        return FakeReply.With(buffer.ToArray());
    }

    [Theory]
    [InlineData(17, "service tcp 10.0.0.1:80 already exists")]
    [InlineData(2, "scheduler 'xyz' not found")]
    [InlineData(1, "IPVS needs CAP_NET_ADMIN")]
    public async Task CreateServiceErrorsSayWhatIsWrongWithTheService(int errno, string expected)
    {
        var (client, _) = await Open(_ => FakeReply.Fail(errno));
        await using var _c = client;
        var error = await Assert.ThrowsAnyAsync<IpvsException>(() =>
            client.CreateServiceAsync(new VirtualService(Web, new VirtualServiceSpec { Scheduler = "xyz" }), TestContext.Current.CancellationToken));
        Assert.Contains(expected, error.Message);
        Assert.Equal(errno, error.Errno);
        Assert.Equal(IpvsOperationKind.CreateService, error.Operation);
    }

    [Theory]
    [InlineData(null, "scheduler 'xyz' not found for service tcp 10.0.0.1:80 (no module ip_vs_xyz)")]
    [InlineData("sip", "scheduler 'xyz' or persistence engine 'sip' not found for service tcp 10.0.0.1:80 (no module ip_vs_xyz or ip_vs_pe_sip)")]
    public async Task ENOENTOnCreateNamesTheModulesThatMayBeMissing(string? engine, string expected)
    {
        var (client, _) = await Open(_ => FakeReply.Fail(2));
        await using var _c = client;
        var error = await Assert.ThrowsAnyAsync<IpvsException>(() => client.CreateServiceAsync(
            new VirtualService(Web, new VirtualServiceSpec { Scheduler = "xyz", PersistenceEngine = engine, PersistenceTimeout = engine is null ? 0u : 60u }),
            TestContext.Current.CancellationToken));
        Assert.Equal(expected, error.Message);
    }

    private static FakeReply FamilyReply(ushort id)
    {
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        writer.WriteGenericHeader(GenericNetlink.CTRL_CMD_NEWFAMILY, 2);
        writer.WriteU16(GenericNetlink.CTRL_ATTR_FAMILY_ID, id);
        writer.WriteString(GenericNetlink.CTRL_ATTR_FAMILY_NAME, "IPVS");
        return FakeReply.With(buffer.ToArray());
    }

    /// <summary>ip_vs unloaded and loaded again: the family comes back under a new id, and the next pass's first read finds it.</summary>
    [Fact]
    public async Task AReloadedIpvsModuleIsFoundAgainUnderItsNewFamilyId()
    {
        ushort current = IpvsFamilyId;
        var kernel = new FakeKernel(r =>
            r.Header.Type == GenericNetlink.ControllerFamilyId ? FamilyReply(current)
            : r.Header.Type == current ? FakeReply.With()
            : FakeReply.Fail(2)); // genetlink: no family with this id
        await using var client = await IpvsNetlinkClient.OpenAsync(new NetlinkConnection(() => kernel), TestContext.Current.CancellationToken);
        Assert.Empty(await client.GetServicesAsync(TestContext.Current.CancellationToken));

        current = IpvsFamilyId + 7;
        Assert.Empty(await client.GetServicesAsync(TestContext.Current.CancellationToken));
        Assert.Equal(current, client.Family.Id);
        await client.DeleteServiceAsync(Web, TestContext.Current.CancellationToken);
        Assert.Equal(current, kernel.Requests[^1].Header.Type);
    }

    [Fact]
    public async Task AnUnloadedIpvsModuleIsSaidSoAndARealENOENTStaysWhatItWas()
    {
        var loaded = true;
        var kernel = new FakeKernel(r =>
            r.Header.Type == GenericNetlink.ControllerFamilyId ? (loaded ? FamilyReply(IpvsFamilyId) : FakeReply.Fail(2))
            : FakeReply.Fail(2));
        await using var client = await IpvsNetlinkClient.OpenAsync(new NetlinkConnection(() => kernel), TestContext.Current.CancellationToken);

        // The family is still there under the same id: the ENOENT is the command's own.
        var own = await Assert.ThrowsAsync<IpvsException>(() => client.GetInfoAsync(TestContext.Current.CancellationToken));
        Assert.Equal(2, own.Errno);

        loaded = false;
        var gone = await Assert.ThrowsAsync<IpvsUnavailableException>(() => client.GetServicesAsync(TestContext.Current.CancellationToken));
        Assert.Contains("modprobe ip_vs", gone.Message);
    }

    [Fact]
    public async Task MissingServiceIsNamedAndGetServiceReturnsNull()
    {
        var (client, _) = await Open(_ => FakeReply.Fail(3));
        await using var _c = client;
        var error = await Assert.ThrowsAsync<IpvsException>(() => client.DeleteServiceAsync(Web, TestContext.Current.CancellationToken));
        Assert.Equal("no such service tcp 10.0.0.1:80", error.Message);
        Assert.Null(await client.GetServiceAsync(Web, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task MissingIpvsFamilyTellsTheUserToLoadTheModule()
    {
        var kernel = new FakeKernel(_ => FakeReply.Fail(2));
        var error = await Assert.ThrowsAsync<IpvsUnavailableException>(() =>
            IpvsNetlinkClient.OpenAsync(new NetlinkConnection(() => kernel), TestContext.Current.CancellationToken));
        Assert.Contains("modprobe ip_vs", error.Message);
    }

    [Fact]
    public async Task BatchFailureNamesTheObjectThatFailedAndTheRestStillApply()
    {
        var failing = new DestinationKey(IPAddress.Parse("10.1.0.2"), 8080);
        var (client, kernel) = await Open(r =>
            r.Command == 5 && r.Attributes.IndexOf(new byte[] { 10, 1, 0, 2 }) >= 0 ? FakeReply.Fail(17) : FakeReply.Ack);
        await using var _c = client;
        IpvsOperation[] operations =
        [
            new IpvsOperation.CreateService(new VirtualService(Web, VirtualServiceSpec.Default)),
            new IpvsOperation.CreateDestination(Web, new Destination(new DestinationKey(IPAddress.Parse("10.1.0.1"), 8080), DestinationSpec.Default)),
            new IpvsOperation.CreateDestination(Web, new Destination(failing, DestinationSpec.Default)),
            new IpvsOperation.CreateDestination(Web, new Destination(new DestinationKey(IPAddress.Parse("10.1.0.3"), 8080), DestinationSpec.Default)),
        ];

        var result = await client.ExecuteAsync(operations, TestContext.Current.CancellationToken);

        var failure = Assert.Single(result.Failures);
        Assert.Equal("destination 10.1.0.2:8080 of service tcp 10.0.0.1:80 already exists", failure.Message);
        Assert.Equal(2, failure.Index);
        Assert.Same(operations[2], failure.Operation);
        Assert.True(failure.Error.Errno.AlreadyExists);
        Assert.Null(result.FailureAt(1));
        Assert.Same(failure, result.FailureAt(2));
        Assert.Equal(5, kernel.Requests.Count); // family lookup + 4, in order
        Assert.Same(failure.Error, Assert.Throws<IpvsException>(result.ThrowIfFailed));
    }

    /// <summary>The same operation twice in a batch reads the same twice: only the index tells the failures apart.</summary>
    [Fact]
    public async Task FailuresWithTheSameTextAreToldApartByTheirIndex()
    {
        var duplicate = new IpvsOperation.CreateDestination(Web, new Destination(new DestinationKey(IPAddress.Parse("10.1.0.2"), 8080), DestinationSpec.Default));
        var (client, _) = await Open(r => r.Command == 5 && r.Attributes.IndexOf(new byte[] { 10, 1, 0, 2 }) >= 0 ? FakeReply.Fail(17) : FakeReply.Ack);
        await using var _c = client;
        IpvsOperation[] operations =
        [
            duplicate,
            new IpvsOperation.CreateDestination(Web, new Destination(new DestinationKey(IPAddress.Parse("10.1.0.1"), 8080), DestinationSpec.Default)),
            duplicate,
        ];

        var result = await client.ExecuteAsync(operations, TestContext.Current.CancellationToken);

        Assert.Equal([0, 2], result.Failures.Select(f => f.Index));
        Assert.Equal(result.Failures[0].Message, result.Failures[1].Message);
        Assert.Equal(3, result.Count);
    }

    /// <summary>A socket failure under a batch blames no one operation: it is the batch's, not a CreateService's.</summary>
    [Fact]
    public async Task AWholeBatchFailureIsNamedAsTheBatch()
    {
        var kernel = new FakeKernel(r => r.Header.Type == GenericNetlink.ControllerFamilyId ? FamilyReply() : FakeReply.Ack);
        var transport = new FailingSends(kernel);
        await using var client = await IpvsNetlinkClient.OpenAsync(new NetlinkConnection(() => transport), TestContext.Current.CancellationToken);
        transport.Failing = true;
        IpvsOperation[] operations =
        [
            new IpvsOperation.DeleteService(Web),
            new IpvsOperation.DeleteService(VirtualServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.1"), 53)),
        ];

        var error = await Assert.ThrowsAsync<IpvsException>(() => client.ExecuteAsync(operations, TestContext.Current.CancellationToken));

        Assert.Equal(IpvsOperationKind.Batch, error.Operation);
        Assert.Equal("a batch of 2 operations", error.Target);
        Assert.Equal(Errno.ENOBUFS, error.Errno);
        Assert.StartsWith("IPVS batch of 2 operations failed: netlink send: ", error.Message);
    }

    /// <summary>A transport whose sends fail once <see cref="Failing"/> is set, as a socket out of buffer space.</summary>
    private sealed class FailingSends(FakeKernel inner) : INetlinkTransport
    {
        public bool Failing { get; set; }
        public uint PortId => inner.PortId;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken) =>
            Failing ? throw new NetlinkException("send", Errno.ENOBUFS) : inner.SendAsync(datagram, cancellationToken);

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) => inner.ReceiveAsync(buffer, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
