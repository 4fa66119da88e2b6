using GorbLink.Netlink;
using Microsoft.Extensions.Logging;

namespace GorbLink.Hosting;

/// <summary>A kernel setting under /proc/sys, the value GorbLink wants, and why.</summary>
internal sealed record Sysctl(string Name, string Value, string Reason)
{
    /// <summary>"net.ipv4.vs.conntrack" → "net/ipv4/vs/conntrack".</summary>
    public string RelativePath => Name.Replace('.', '/');
}

/// <summary>A setting could not be read or written; the message says what to do instead.</summary>
internal sealed class SysctlException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// --set-sysctls: the IPVS settings kube-proxy's IPVS mode sets at start, for NAT to container backends. Each one that
/// differs is written under /proc/sys and logged with its reason; one already right is left alone. Never written:
/// net.ipv4.ip_forward (Docker turns it on when it starts and owns it; GorbLink only warns when it is off) and
/// conn_reuse_mode (kube-proxy sets it only for kernels 4.1 to 5.8, to work around a bug fixed in 5.9).
/// </summary>
internal sealed partial class Sysctls(ILogger logger, string root = "/proc/sys")
{
    public static IReadOnlyList<Sysctl> ForNat { get; } =
    [
        new("net.ipv4.vs.conntrack", "1",
            "keep netfilter connection tracking for IPVS connections, so NAT replies from containers are matched and Docker's " +
            "iptables rules (MASQUERADE, the bridge's ESTABLISHED,RELATED accept) see them"),
        new("net.ipv4.vs.expire_nodest_conn", "1",
            "drop a connection as soon as its destination is deleted, so the client's next packet is refused and it reconnects to a " +
            "live container instead of hanging until the connection times out (kubernetes#81775)"),
        new("net.ipv4.vs.expire_quiescent_template", "1",
            "expire persistence templates that point at a destination of weight 0, so persistent clients of a draining container " +
            "are sent to the others (kubernetes#81591)"),
    ];

    private const string IpForward = "net.ipv4.ip_forward";

    /// <summary>Reads each setting and writes those that differ; in a dry run only says what it would write.</summary>
    /// <returns>How many settings were changed (or would be).</returns>
    /// <exception cref="SysctlException">A setting cannot be read or written; nothing after it was tried.</exception>
    public int Apply(IReadOnlyList<Sysctl> settings, bool dryRun)
    {
        var changed = 0;
        foreach (var setting in settings)
        {
            var current = Read(setting);
            if (current == setting.Value)
            {
                LogAlreadySet(logger, setting.Name, current);
                continue;
            }
            changed++;
            if (dryRun)
            {
                LogWouldSet(logger, setting.Name, current, setting.Value, setting.Reason);
                continue;
            }
            Write(setting);
            LogSet(logger, setting.Name, current, setting.Value, setting.Reason);
        }
        CheckForwarding();
        return changed;
    }

    private void CheckForwarding()
    {
        try
        {
            var value = File.ReadAllText(Path.Combine(root, IpForward.Replace('.', '/'))).Trim();
            if (value == "0") LogForwardingOff(logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private string Read(Sysctl setting)
    {
        var path = Path.Combine(root, setting.RelativePath);
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SysctlException(
                $"cannot set {setting.Name}: {path} does not exist. It appears once the ip_vs module is loaded, in the network " +
                "namespace GorbLink programs: run it in the host's network namespace (--net=host)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysctlException($"cannot read {setting.Name} ({path}): {e.Message}", e);
        }
    }

    private void Write(Sysctl setting)
    {
        var path = Path.Combine(root, setting.RelativePath);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(setting.Value + "\n"));
        }
        catch (IOException e) when (e.HResult == Errno.EROFS)
        {
            throw new SysctlException(
                $"cannot set {setting.Name}: {root} is read-only here (a container's default). Either set it on the host " +
                $"(sysctl -w {setting.Name}={setting.Value}, or deploy/sysctl.d/90-gorblink.conf) and drop --set-sysctls, or give " +
                "the container a writable /proc/sys (docker run --security-opt systempaths=unconfined)", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SysctlException(
                $"cannot set {setting.Name}: permission denied ({path}); it needs root with CAP_NET_ADMIN in the host's network " +
                $"namespace. Set it on the host instead (sysctl -w {setting.Name}={setting.Value}) and drop --set-sysctls", e);
        }
        catch (IOException e)
        {
            throw new SysctlException($"cannot set {setting.Name} ({path}): {e.Message}", e);
        }
    }

    // Event ids 1301-1309: --set-sysctls.
    [LoggerMessage(EventId = 1301, EventName = "SysctlSet", Level = LogLevel.Information,
        Message = "set {Name} = {Value} (was {Previous}): {Reason}")]
    private static partial void LogSet(ILogger logger, string name, string previous, string value, string reason);

    [LoggerMessage(EventId = 1302, EventName = "SysctlAlreadySet", Level = LogLevel.Information, Message = "{Name} is already {Value}")]
    private static partial void LogAlreadySet(ILogger logger, string name, string value);

    [LoggerMessage(EventId = 1303, EventName = "SysctlWouldSet", Level = LogLevel.Information,
        Message = "dry run, would set {Name} = {Value} (now {Previous}): {Reason}")]
    private static partial void LogWouldSet(ILogger logger, string name, string previous, string value, string reason);

    [LoggerMessage(EventId = 1304, EventName = "IpForwardOff", Level = LogLevel.Warning,
        Message = "net.ipv4.ip_forward is 0: replies of NAT destinations behind a bridge (docker0) are not forwarded back to clients. " +
            "Docker turns it on when it starts (unless dockerd --ip-forward=false); GorbLink leaves it to Docker and the host")]
    private static partial void LogForwardingOff(ILogger logger);
}
