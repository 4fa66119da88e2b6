namespace GorbLink.Netlink;

/// <summary>
/// A netlink operation failed: either a syscall on the socket, or the kernel answered a request with an
/// NLMSG_ERROR carrying a negative errno (and maybe an extended-ack message).
/// </summary>
public class NetlinkException : Exception
{
    public NetlinkException(string operation, Errno errno, string? kernelMessage = null, uint sequence = 0, Exception? inner = null)
        : base(Format(operation, errno, kernelMessage), inner)
    {
        Operation = operation;
        Errno = errno;
        KernelMessage = kernelMessage;
        Sequence = sequence;
    }

    protected NetlinkException(string message, Exception? inner = null) : base(message, inner)
    {
        Operation = "parse";
    }

    /// <summary>Short name of what failed, e.g. "send", "receive", "resolve-family IPVS".</summary>
    public string Operation { get; }
    /// <summary>What the kernel or the syscall answered.</summary>
    public Errno Errno { get; }
    /// <summary>NLMSGERR_ATTR_MSG from the kernel's extended ACK, if any.</summary>
    public string? KernelMessage { get; }
    public uint Sequence { get; }

    /// <summary>Same as <see cref="Netlink.Errno.Describe"/>; kept for callers that hold a number.</summary>
    public static string Describe(int errno) => new Errno(errno).Describe();

    private static string Format(string operation, Errno errno, string? kernelMessage) =>
        kernelMessage is null ? $"netlink {operation}: {errno.Describe()}" : $"netlink {operation}: {errno.Describe()}: {kernelMessage}";
}

/// <summary>A reply could not be parsed: truncated, mis-sized or out of sequence.</summary>
public sealed class NetlinkProtocolException(string message) : NetlinkException(message);
