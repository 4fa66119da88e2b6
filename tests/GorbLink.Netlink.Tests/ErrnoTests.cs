using GorbLink.Netlink;
using GorbLink.Netlink.Testing;

namespace GorbLink.Netlink.Tests;

/// <summary>The one errno type: names, the questions callers ask, the text users read.</summary>
public class ErrnoTests
{
    // value, name, not found, already exists, permission denied
    public static TheoryData<int, string, bool, bool, bool> Table => new()
    {
        { 0, "0", false, false, false },
        { 1, "EPERM", false, false, true },
        { 2, "ENOENT", true, false, false },
        { 3, "ESRCH", true, false, false },
        { 13, "EACCES", false, false, true },
        { 17, "EEXIST", false, true, false },
        { 19, "ENODEV", false, false, false },
        { 5, "EIO", false, false, false },
        { 22, "EINVAL", false, false, false },
        { 30, "EROFS", false, false, false },
        { 34, "ERANGE", false, false, false },
        { 95, "EOPNOTSUPP", false, false, false },
        { 97, "EAFNOSUPPORT", false, false, false },
        { 99, "EADDRNOTAVAIL", false, false, false },
        { 105, "ENOBUFS", false, false, false },
        { 110, "ETIMEDOUT", false, false, false },
        { 111, "ECONNREFUSED", false, false, false },
        { 200, "errno 200", false, false, false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void EachNumberHasItsNameAndAnswers(int value, string name, bool notFound, bool exists, bool denied)
    {
        var errno = new Errno(value);
        Assert.Equal(name, errno.Name);
        Assert.Equal(name, errno.ToString());
        Assert.Equal(notFound, errno.IsNotFound);
        Assert.Equal(exists, errno.AlreadyExists);
        Assert.Equal(denied, errno.IsPermissionDenied);
        Assert.Equal(value == 0, errno.IsNone);
    }

    [Fact]
    public void NamedValuesAreTheLinuxNumbers()
    {
        Assert.Equal(new Errno(1), Errno.EPERM);
        Assert.Equal(new Errno(2), Errno.ENOENT);
        Assert.Equal(new Errno(3), Errno.ESRCH);
        Assert.Equal(new Errno(17), Errno.EEXIST);
        Assert.Equal(new Errno(22), Errno.EINVAL);
        Assert.Equal(new Errno(105), Errno.ENOBUFS);
        Assert.Equal(Errno.Codes.EEXIST, Errno.EEXIST.Value);
        Assert.Equal(Errno.Codes.ETIMEDOUT, Errno.ETIMEDOUT.Value);
    }

    [Theory]
    [InlineData(2, "No such file or directory (errno 2)")]
    [InlineData(3, "No such process (errno 3)")]
    [InlineData(17, "File exists (errno 17)")]
    [InlineData(22, "Invalid argument (errno 22)")]
    [InlineData(105, "No buffer space available (errno 105)")]
    public void DescribeIsTheCLibraryTextWithTheNumber(int value, string expected)
    {
        Assert.Equal(expected, new Errno(value).Describe());
        Assert.Equal(expected, NetlinkException.Describe(value));
    }

    [Fact]
    public void ConvertsToItsNumberForCodeThatStillComparesNumbers()
    {
        int number = Errno.EEXIST;
        Assert.Equal(17, number);
        Assert.True(Errno.ESRCH == Errno.Codes.ESRCH);
    }

    [Fact]
    public async Task ExceptionsCarryTheKernelsErrno()
    {
        var kernel = new FakeKernel(_ => FakeReply.Fail(17));
        using var connection = new NetlinkConnection(() => kernel);
        var buffer = new NetlinkBuffer();
        var writer = new NetlinkWriter(buffer);
        var message = writer.BeginMessage(0x20, 0, 0);
        writer.WriteGenericHeader(1, 1);
        writer.EndMessage(message);

        var error = await Assert.ThrowsAsync<NetlinkException>(() =>
            connection.ExchangeAsync(buffer.ToArray(), "add-thing", null, TestContext.Current.CancellationToken));

        Assert.Equal(Errno.EEXIST, error.Errno);
        Assert.True(error.Errno.AlreadyExists);
        Assert.Equal("netlink add-thing: File exists (errno 17)", error.Message);
    }
}
