using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>
/// A start-up step of `run` (kernel sink) and `serve`, on by default: net.ipv4.vs.expire_nodest_conn = 1.
/// GorbLink deletes a UDP destination at once (UDP is not drained: ActiveConn is always 0 for it). With the kernel's
/// default 0, the IPVS connection entries of a deleted destination stay and keep sending a client that reuses its
/// source port (DNS resolvers, statsd) to the dead container: each datagram refreshes the entry, so the client is
/// black-holed for as long as it keeps sending (kubernetes#71514, moby#36878; seen in the VM, tests/vm/checks/
/// udp-after-backend-dies). With 1, the kernel expires such an entry on its next packet and schedules a new one to a
/// live destination; since Linux 5.9 it also flushes a deleted destination's entries by itself.
/// Host-wide (every IPVS service in the namespace) and left set on exit; kube-proxy's IPVS mode and Docker Swarm's
/// routing mesh set it too. When /proc/sys cannot be written (a container's read-only default) it is one warning,
/// not a start failure: the agent still works, UDP fail-over is only slow.
/// </summary>
internal static partial class ExpireNodestConnStep
{
    public static Sysctl Setting { get; } = Sysctls.ForNat.Single(s => s.Name == "net.ipv4.vs.expire_nodest_conn");

    public static void Apply(ILogger logger, bool dryRun, string root = "/proc/sys")
    {
        try
        {
            new Sysctls(logger, root).Apply([Setting], dryRun);
        }
        catch (SysctlException e)
        {
            LogCannotSet(logger, e.Message);
        }
    }

    // Event ids 1610-1619: expire_nodest_conn by default.
    [LoggerMessage(EventId = 1610, EventName = "ExpireNodestConnNotSet", Level = LogLevel.Warning,
        Message = "UDP clients that keep their source port will reach a removed container's address until they pause for the UDP timeout: {Reason}")]
    private static partial void LogCannotSet(ILogger logger, string reason);
}
