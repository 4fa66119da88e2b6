using GorbLink.Netlink;
using static GorbLink.Netlink.Errno.Codes;

namespace GorbLink.Ipvs.Netlink;

/// <summary>Turns an errno from an IPVS command into a sentence about the object, as ipvs_strerror does for ipvsadm.</summary>
internal static class IpvsErrors
{
    public static IpvsException Describe(IpvsOperation operation, Errno errno, string? kernelMessage, Exception? inner = null)
    {
        var target = operation.Target;
        string? message = (operation, errno.Value) switch
        {
            (IpvsOperation.CreateService op, EEXIST) => $"service {op.Service.Key} already exists",
            (IpvsOperation.CreateService or IpvsOperation.UpdateService, ENOENT) => SchedulerMissing(operation),
            (IpvsOperation.UpdateService or IpvsOperation.DeleteService, ESRCH) => $"no such {target}",
            (IpvsOperation.CreateDestination op, EEXIST) => $"{target} already exists",
            (IpvsOperation.CreateDestination op, ESRCH) => $"cannot add {target}: no such service {op.Service}",
            (IpvsOperation.UpdateDestination op, ESRCH) => $"cannot update {target}: no such service {op.Service}",
            (IpvsOperation.DeleteDestination op, ESRCH) => $"cannot delete {target}: no such service {op.Service}",
            (IpvsOperation.UpdateDestination or IpvsOperation.DeleteDestination, ENOENT) => $"no such {target}",
            (IpvsOperation.CreateDestination or IpvsOperation.UpdateDestination, ERANGE) =>
                $"{Verb(operation.Kind)} {target}: weight or thresholds out of range (weight 0..2147483647, lower threshold <= upper)",
            (IpvsOperation.CreateDestination or IpvsOperation.UpdateDestination, EINVAL) =>
                $"{Verb(operation.Kind)} {target}: invalid destination (the address must be unicast, and of the service's family unless forwarding is tunnel; GUE needs a tunnel port)",
            _ => null,
        };
        return Build(operation.Kind, target, errno, kernelMessage, message, inner);
    }

    public static IpvsException Describe(IpvsOperationKind kind, string target, Errno errno, string? kernelMessage, Exception? inner = null)
    {
        string? message = (kind, errno.Value) switch
        {
            (IpvsOperationKind.GetService or IpvsOperationKind.Zero, ESRCH) => $"no such {target}",
            (IpvsOperationKind.StartDaemon, EEXIST) => $"{target}: already running",
            (IpvsOperationKind.StopDaemon, ESRCH) => $"{target}: not running",
            (IpvsOperationKind.SetConfig, EINVAL) => $"set {target}: a timeout is too large",
            _ => null,
        };
        return Build(kind, target, errno, kernelMessage, message, inner);
    }

    private static IpvsException Build(IpvsOperationKind kind, string target, Errno errno, string? kernelMessage, string? message, Exception? inner)
    {
        if (errno.IsPermissionDenied)
            return new IpvsPermissionException(kind, target, IpvsNetlinkClient.PermissionMessage($"{Verb(kind)} {target}"));
        message ??= errno.Value switch
        {
            EAFNOSUPPORT => $"{Verb(kind)} {target}: address family not supported (IPv6 disabled, or the kernel lacks CONFIG_IP_VS_IPV6)",
            EOPNOTSUPP => $"{Verb(kind)} {target}: not supported by this kernel",
            _ => $"{Verb(kind)} {target}: {errno.Describe()}",
        };
        if (kernelMessage is { Length: > 0 }) message += $" (kernel: {kernelMessage})";
        return new IpvsException(kind, target, errno, message, kernelMessage, inner);
    }

    private static string SchedulerMissing(IpvsOperation operation)
    {
        var service = operation switch
        {
            IpvsOperation.CreateService op => op.Service,
            IpvsOperation.UpdateService op => op.Service,
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        // ENOENT does not say which of the two the kernel could not find (or load as a module).
        if (service.Spec.PersistenceEngine is { Length: > 0 } pe)
            return $"scheduler '{service.Spec.Scheduler}' or persistence engine '{pe}' not found for service {service.Key} " +
                $"(no module ip_vs_{service.Spec.Scheduler} or ip_vs_pe_{pe})";
        return $"scheduler '{service.Spec.Scheduler}' not found for service {service.Key} (no module ip_vs_{service.Spec.Scheduler})";
    }

    /// <summary>
    /// The exchange itself failed (a send or receive syscall, a timeout, or a reply that could not be parsed): the
    /// kernel may or may not have applied the request, so callers treat it like any refused write and read back.
    /// </summary>
    public static IpvsException Transport(IpvsOperationKind kind, string target, NetlinkException e) =>
        new(kind, target, e.Errno, $"{Verb(kind)} {target}: {e.Message}", e.KernelMessage, e);

    private static string Verb(IpvsOperationKind kind) => kind switch
    {
        IpvsOperationKind.CreateService or IpvsOperationKind.CreateDestination => "create",
        IpvsOperationKind.UpdateService or IpvsOperationKind.UpdateDestination => "update",
        IpvsOperationKind.DeleteService or IpvsOperationKind.DeleteDestination => "delete",
        IpvsOperationKind.GetService or IpvsOperationKind.GetDestinations or IpvsOperationKind.GetInfo
            or IpvsOperationKind.GetConfig or IpvsOperationKind.GetDaemons => "read",
        IpvsOperationKind.SetConfig => "set",
        IpvsOperationKind.Zero => "zero",
        IpvsOperationKind.Flush => "flush",
        IpvsOperationKind.StartDaemon => "start",
        IpvsOperationKind.StopDaemon => "stop",
        _ => kind.ToString(),
    };
}
