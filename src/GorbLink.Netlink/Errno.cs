using System.Globalization;
using System.Runtime.InteropServices;

namespace GorbLink.Netlink;

/// <summary>
/// A positive Linux errno, as the kernel returns it negated in NLMSG_ERROR and NLMSG_DONE, or a failed syscall sets it.
/// The one place errno numbers are named: callers ask <see cref="IsNotFound"/> or <see cref="AlreadyExists"/> instead of
/// comparing numbers. Numbers are the generic Linux ones (asm-generic/errno-base.h, errno.h), which every architecture
/// GorbLink runs on (x86-64, arm64) uses.
/// </summary>
/// <remarks>Converts implicitly to its number, so code that still compares numbers keeps compiling.</remarks>
public readonly record struct Errno(int Value)
{
    /// <summary>Not an error: the kernel's ACK.</summary>
    public static readonly Errno None = new(0);
    /// <summary>Operation not permitted: no CAP_NET_ADMIN (every IPVS command, reads included; address changes).</summary>
    public static readonly Errno EPERM = new(Codes.EPERM);
    /// <summary>
    /// No such file or directory: a generic-netlink family id that is unknown or stale, GETFAMILY of a family whose
    /// module is absent, a scheduler or persistence-engine module not found (NEW/SET_SERVICE), SET/DEL_DEST of a
    /// destination that does not exist.
    /// </summary>
    public static readonly Errno ENOENT = new(Codes.ENOENT);
    /// <summary>No such process: the IPVS <i>service</i> does not exist (SET/DEL/GET_SERVICE, NEW/SET/DEL_DEST, ZERO); DEL_DAEMON of a daemon not running.</summary>
    public static readonly Errno ESRCH = new(Codes.ESRCH);
    /// <summary>Interrupted system call.</summary>
    public static readonly Errno EINTR = new(Codes.EINTR);
    /// <summary>Input/output error: what a socket error without a better number becomes.</summary>
    public static readonly Errno EIO = new(Codes.EIO);
    /// <summary>Out of memory in the kernel.</summary>
    public static readonly Errno ENOMEM = new(Codes.ENOMEM);
    /// <summary>Permission denied: treated like <see cref="EPERM"/>.</summary>
    public static readonly Errno EACCES = new(Codes.EACCES);
    /// <summary>File exists: NEW_SERVICE or NEW_DEST of something that exists, NEW_DAEMON of a running daemon, RTM_NEWADDR (NLM_F_EXCL) of an address the interface has.</summary>
    public static readonly Errno EEXIST = new(Codes.EEXIST);
    /// <summary>No such device: the network interface is gone.</summary>
    public static readonly Errno ENODEV = new(Codes.ENODEV);
    /// <summary>Invalid argument: missing or malformed attributes, a destination of the wrong family or not unicast, a timeout too large.</summary>
    public static readonly Errno EINVAL = new(Codes.EINVAL);
    /// <summary>Read-only file system: /proc/sys inside a container by default (.NET reports it as an IOException's HResult).</summary>
    public static readonly Errno EROFS = new(Codes.EROFS);
    /// <summary>Result out of range: weight ≥ 2^31, or lower threshold above upper.</summary>
    public static readonly Errno ERANGE = new(Codes.ERANGE);
    /// <summary>Message too long: a GET reply overflowed.</summary>
    public static readonly Errno EMSGSIZE = new(Codes.EMSGSIZE);
    /// <summary>Protocol not available: module refcount failure.</summary>
    public static readonly Errno ENOPROTOOPT = new(Codes.ENOPROTOOPT);
    /// <summary>Operation not supported: a command this kernel does not know, or a GET that must be a dump.</summary>
    public static readonly Errno EOPNOTSUPP = new(Codes.EOPNOTSUPP);
    /// <summary>Address family not supported: not INET/INET6, or IPv6 disabled / no CONFIG_IP_VS_IPV6.</summary>
    public static readonly Errno EAFNOSUPPORT = new(Codes.EAFNOSUPPORT);
    /// <summary>Cannot assign requested address: RTM_DELADDR of an address the interface does not have.</summary>
    public static readonly Errno EADDRNOTAVAIL = new(Codes.EADDRNOTAVAIL);
    /// <summary>No buffer space available: the socket's receive queue overran (replies were lost).</summary>
    public static readonly Errno ENOBUFS = new(Codes.ENOBUFS);
    /// <summary>Connection timed out: no reply within the reply timeout.</summary>
    public static readonly Errno ETIMEDOUT = new(Codes.ETIMEDOUT);
    /// <summary>Connection refused.</summary>
    public static readonly Errno ECONNREFUSED = new(Codes.ECONNREFUSED);

    /// <summary>The same numbers as constants, for switch patterns (<c>using static GorbLink.Netlink.Errno.Codes</c>).</summary>
    public static class Codes
    {
        public const int
            EPERM = 1,
            ENOENT = 2,
            ESRCH = 3,
            EINTR = 4,
            EIO = 5,
            ENOMEM = 12,
            EACCES = 13,
            EEXIST = 17,
            ENODEV = 19,
            EINVAL = 22,
            EROFS = 30,
            ERANGE = 34,
            EMSGSIZE = 90,
            ENOPROTOOPT = 92,
            EOPNOTSUPP = 95,
            EAFNOSUPPORT = 97,
            EADDRNOTAVAIL = 99,
            ENOBUFS = 105,
            ETIMEDOUT = 110,
            ECONNREFUSED = 111;
    }


    /// <summary>The symbolic name ("ENOENT"), or "errno 42" for a number this type does not name; "0" for none.</summary>
    public string Name => Value switch
    {
        0 => "0",
        Codes.EPERM => "EPERM",
        Codes.ENOENT => "ENOENT",
        Codes.ESRCH => "ESRCH",
        Codes.EINTR => "EINTR",
        Codes.EIO => "EIO",
        Codes.ENOMEM => "ENOMEM",
        Codes.EACCES => "EACCES",
        Codes.EEXIST => "EEXIST",
        Codes.ENODEV => "ENODEV",
        Codes.EINVAL => "EINVAL",
        Codes.EROFS => "EROFS",
        Codes.ERANGE => "ERANGE",
        Codes.EMSGSIZE => "EMSGSIZE",
        Codes.ENOPROTOOPT => "ENOPROTOOPT",
        Codes.EOPNOTSUPP => "EOPNOTSUPP",
        Codes.EAFNOSUPPORT => "EAFNOSUPPORT",
        Codes.EADDRNOTAVAIL => "EADDRNOTAVAIL",
        Codes.ENOBUFS => "ENOBUFS",
        Codes.ETIMEDOUT => "ETIMEDOUT",
        Codes.ECONNREFUSED => "ECONNREFUSED",
        _ => $"errno {Value.ToString(CultureInfo.InvariantCulture)}",
    };

    public bool IsNone => Value == 0;

    /// <summary>
    /// The object does not exist: ENOENT or ESRCH. IPVS answers ESRCH for a missing service and ENOENT for a missing
    /// destination, so a caller that only wants "is it gone" asks this rather than one number.
    /// </summary>
    public bool IsNotFound => Value is Codes.ENOENT or Codes.ESRCH;

    /// <summary>The object exists already: EEXIST.</summary>
    public bool AlreadyExists => Value == Codes.EEXIST;

    /// <summary>The process lacks the capability: EPERM or EACCES.</summary>
    public bool IsPermissionDenied => Value is Codes.EPERM or Codes.EACCES;

    /// <summary>The C library's text with the number: "No such file or directory (errno 2)".</summary>
    public string Describe() => $"{Marshal.GetPInvokeErrorMessage(Value)} (errno {Value.ToString(CultureInfo.InvariantCulture)})";

    public override string ToString() => Name;

    /// <summary>The errno the last P/Invoke call left (declared with SetLastError).</summary>
    public static Errno OfLastPInvoke() => new(Marshal.GetLastPInvokeError());

    public static implicit operator int(Errno errno) => errno.Value;
}
