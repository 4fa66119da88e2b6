using GorbLink.Netlink;

namespace GorbLink.Ipvs;

/// <summary>
/// The kernel refused an IPVS operation. The message names the operation and the object in a user's words;
/// <see cref="Errno"/> and <see cref="KernelMessage"/> keep what the kernel said.
/// </summary>
public class IpvsException : Exception
{
    public IpvsException(IpvsOperationKind operation, string target, Errno errno, string message, string? kernelMessage = null, Exception? inner = null)
        : base(message, inner)
    {
        Operation = operation;
        Target = target;
        Errno = errno;
        KernelMessage = kernelMessage;
    }

    public IpvsOperationKind Operation { get; }
    /// <summary>The object the operation was about, e.g. "service tcp 10.0.0.1:80".</summary>
    public string Target { get; }
    /// <summary>What the kernel returned (<see cref="Errno.None"/> when the failure was not the kernel's).</summary>
    public Errno Errno { get; }
    /// <summary>The kernel's extended-ack message, if it sent one.</summary>
    public string? KernelMessage { get; }
}

/// <summary>The running kernel has no IPVS (no ip_vs module loaded and none loadable).</summary>
public sealed class IpvsUnavailableException(string message, Exception? inner = null)
    : IpvsException(IpvsOperationKind.GetInfo, "IPVS", Errno.ENOENT, message, null, inner);

/// <summary>The process lacks CAP_NET_ADMIN in the initial user namespace, which every IPVS command needs.</summary>
public sealed class IpvsPermissionException(IpvsOperationKind operation, string target, string message)
    : IpvsException(operation, target, Errno.EPERM, message);
