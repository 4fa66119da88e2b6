using GorbLink.Core.Status;
using GorbLink.Ipvs;
using GorbLink.Netlink;
using static GorbLink.Netlink.Errno.Codes;

namespace GorbLink.Core.SyncDaemons;

/// <summary>The kernel refused to start a connection-sync daemon (IPVS_CMD_NEW_DAEMON); the message names the role, the interface and the errno.</summary>
public sealed class SyncDaemonStartException(SyncDaemonState role, string @interface, Errno errno, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public SyncDaemonState Role { get; } = role;
    public string Interface { get; } = @interface;
    public Errno Errno { get; } = errno;

    /// <summary>The kernel's reason in a user's words (ip_vs_sync.c start_sync_thread and ip_vs_genl_new_daemon).</summary>
    public static SyncDaemonStartException From(SyncDaemon daemon, IpvsException e)
    {
        var role = SyncDaemonStatusEntry.RoleName(daemon.State);
        var reason = e.Errno.Value switch
        {
            ENODEV => "no such network interface (create it, or name another with --sync-interface)",
            EEXIST => $"a {role} sync daemon is running already (see ipvsadm -L --daemon)",
            EINVAL => "the kernel refused the interface or the settings (the interface must exist, the group must be multicast)",
            EADDRNOTAVAIL => "the interface has no address of the group's family to send from or listen on",
            _ => e.Errno.IsNone ? e.Message : $"{e.Errno.Describe()}",
        };
        if (e.KernelMessage is { Length: > 0 } kernel) reason += $" (kernel: {kernel})";
        return new SyncDaemonStartException(daemon.State, daemon.Interface, e.Errno,
            $"cannot start the {role} sync daemon on {daemon.Interface}: {(e.Errno.IsNone ? "" : e.Errno.Name + ", ")}{reason}", e);
    }
}
