using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using GorbLink.Core.Status;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;
using GorbLink.Remote.Client;

namespace GorbLink.Cli;

/// <summary>
/// `gorblink status`: the running agent's view (from the status file it writes after every pass), with the kernel's
/// live weights and counters laid over it when the kernel can be read.
/// </summary>
internal static class StatusCommand
{
    public static Command Build()
    {
        var stateDir = new Option<string>("--state-dir")
        {
            Description = "The agent's state directory",
            DefaultValueFactory = _ => RunCommand.Env("STATE_DIR") ?? "/var/lib/gorblink",
        };
        var json = new Option<bool>("--json") { Description = "Print the status as JSON" };
        var command = new Command("status", "Show the agent's view: each virtual service with its containers and the kernel's counters") { stateDir, json };
        command.SetAction((parse, ct) => IpvsCommands.Guard(async () =>
        {
            var path = Path.Combine(parse.GetValue(stateDir)!, "status.json");
            // Remote mode (run -r) writes remote-status.json; without --local it writes no status.json.
            var remote = RemoteStatusFile.TryRead(Path.Combine(parse.GetValue(stateDir)!, RemoteStatusFile.FileName));
            var syncDaemons = await SyncDaemonStatusView.ReadAsync(parse.GetValue(stateDir)!, ct);
            AgentStatus status;
            try
            {
                status = StatusFile.Read(path);
            }
            catch (StatusFileException e)
            {
                if (remote is not null && !File.Exists(path)) return PrintRemote(remote, parse.GetValue(json));
                if (syncDaemons.Count > 0 && !File.Exists(path))
                {
                    // serve writes no status.json; its sync daemons are still worth showing.
                    Console.Out.Write(parse.GetValue(json) ? SyncDaemonStatusView.Json(syncDaemons) : SyncDaemonStatusView.Render(syncDaemons));
                    return ExitCodes.Success;
                }
                Console.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
            var live = await TryReadKernelAsync(ct);
            if (live is not null) status = Overlay(status, live) with { IpvsTimeouts = await TryReadTimeoutsAsync(ct) };
            if (syncDaemons.Count > 0) status = status with { SyncDaemons = syncDaemons };
            if (parse.GetValue(json))
            {
                var local = Encoding.UTF8.GetString(StatusFile.Serialize(status));
                // run -r --local writes both files: one document holds both, the local one as it is alone.
                Console.Out.WriteLine(remote is null ? local
                    : $"{{\"local\":{local.Trim()},\"remote\":{Encoding.UTF8.GetString(RemoteStatusFile.Serialize(remote)).Trim()}}}");
                return ExitCodes.Success;
            }
            Console.Out.Write(Render(status, live is not null));
            Console.Out.Write(SyncDaemonStatusView.Render(syncDaemons));
            if (remote is not null) Console.Out.Write(RenderRemote(remote));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static int PrintRemote(RemoteStatusDocument remote, bool json)
    {
        if (json) Console.Out.Write(Encoding.UTF8.GetString(RemoteStatusFile.Serialize(remote)));
        else Console.Out.Write(RenderRemote(remote));
        return ExitCodes.Success;
    }

    /// <summary>One block per GORB daemon: reachable, in sync, circuit breaker, what is there, what failed.</summary>
    internal static string RenderRemote(RemoteStatusDocument remote)
    {
        var text = new StringBuilder();
        var ic = CultureInfo.InvariantCulture;
        text.AppendLine(ic, $"remote daemons (desired revision {remote.DesiredRevision}: {remote.DesiredServices} services, {remote.DesiredBackends} backends; written {remote.Written:u}):");
        foreach (var d in remote.Daemons)
        {
            var state = d.InSync ? "in sync" : d.Reachable ? "not yet in sync" : "unreachable";
            text.AppendLine(ic, $"  {d.Daemon} ({d.Url}): {state}, circuit {d.Breaker}; applied revision {d.Counters.AppliedRevision}; {d.Services} services, {d.Backends} backends; owns {d.OwnedServices} services, {d.OwnedBackends} backends");
            var c = d.Counters;
            text.AppendLine(ic, $"    {c.Passes} passes, {c.FailedPasses} failed{(c.ConsecutiveFailures > 0 ? $", {c.ConsecutiveFailures} in a row" : "")}; last success {(c.LastSuccessAt is { } at ? at.ToString("u", ic) : "never")}");
            if (c.LastError is not null && !d.Reachable) text.AppendLine(ic, $"    last error ({c.LastErrorAt:u}): {c.LastError}");
            foreach (var failure in d.Failures) text.AppendLine(ic, $"    refused: {failure}");
            foreach (var refused in d.Refused) text.AppendLine(ic, $"    left alone: {refused}");
        }
        foreach (var problem in remote.NotSent) text.AppendLine(ic, $"  not sent: {problem}");
        return text.ToString();
    }

    private static async Task<IReadOnlyList<VirtualServiceTable>?> TryReadKernelAsync(CancellationToken ct)
    {
        try
        {
            await using var client = await IpvsNetlinkClient.OpenAsync(ct);
            return await client.GetTableAsync(ct);
        }
        catch (IpvsException)
        {
            return null;
        }
    }

    private static async Task<IpvsTimeoutsStatus?> TryReadTimeoutsAsync(CancellationToken ct)
    {
        try
        {
            await using var client = await IpvsNetlinkClient.OpenAsync(ct);
            var t = await client.GetTimeoutsAsync(ct);
            return new IpvsTimeoutsStatus(t.Tcp, t.TcpFin, t.Udp);
        }
        catch (IpvsException)
        {
            return null;
        }
    }

    /// <summary>Replaces the counters and weights recorded at the last pass with what the kernel says now.</summary>
    internal static AgentStatus Overlay(AgentStatus status, IReadOnlyList<VirtualServiceTable> kernel)
    {
        var byService = kernel.ToDictionary(t => t.Key.ToString());
        var services = status.Services.Select(service =>
        {
            if (!byService.TryGetValue(service.Service, out var table)) return service with { State = service.State + " (not in kernel)" };
            var destinations = table.Destinations.ToDictionary(d => (d.Key.Address.ToString(), (int)d.Key.Port));
            return service with
            {
                Connections = table.Service.Stats.Connections,
                InPackets = table.Service.Stats.InPackets,
                OutPackets = table.Service.Stats.OutPackets,
                InBytes = table.Service.Stats.InBytes,
                OutBytes = table.Service.Stats.OutBytes,
                Destinations = service.Destinations.Select(d =>
                    destinations.TryGetValue((Normalize(d.Address), d.Port), out var k)
                        ? d with { Weight = k.Destination.Spec.Weight, ActiveConnections = k.ActiveConnections, InactiveConnections = k.InactiveConnections }
                        : d with { State = d.State + " (gone)" }).ToList(),
            };
        }).ToList();
        return status with { Services = services };
    }

    private static string Normalize(string address) => IPAddress.TryParse(address, out var ip) ? ip.ToString() : address;

    internal static string Render(AgentStatus status, bool live)
    {
        var text = new StringBuilder();
        var ic = CultureInfo.InvariantCulture;
        text.Append(ic, $"GorbLink {status.AgentVersion} (labels {status.LabelPrefix}.*){(status.DryRun ? ", dry run" : "")}: ");
        text.Append(ic, $"{status.Passes} passes, last at {status.Written:u} took {status.LastPassMilliseconds:0.#} ms");
        text.AppendLine(live ? "; counters live from the kernel" : "; counters from the last pass (kernel not readable here)");
        if (status.IpvsTimeouts is { } t) text.AppendLine(ic, $"IPVS timeouts (host-wide): tcp {t.Tcp} s, tcpfin {t.TcpFin} s, udp {t.Udp} s");
        if (status.LastError is not null) text.AppendLine(ic, $"last error ({status.LastErrorAt:u}): {status.LastError}");
        if (status.Services.Count == 0) text.AppendLine("no virtual services");
        foreach (var service in status.Services)
        {
            text.AppendLine();
            text.AppendLine(ic, $"{service.Service} {service.Scheduler}{(service.Name is null ? "" : $" [{service.Name}]")} {service.State}  conns {service.Connections} in {service.InPackets}p/{service.InBytes}B out {service.OutPackets}p/{service.OutBytes}B");
            foreach (var d in service.Destinations)
            {
                var endpoint = d.Address.Contains(':') ? $"[{d.Address}]:{d.Port}" : $"{d.Address}:{d.Port}";
                var container = d.Container is { } c ? $"{c.Name} ({(c.Id.Length > 12 ? c.Id[..12] : c.Id)}) {c.Lifecycle}, health {c.Health}" : "-";
                text.AppendLine(ic, $"  -> {endpoint,-28} {d.Forward,-6} weight {d.Weight,-5} active {d.ActiveConnections,-5} inactive {d.InactiveConnections,-5} {d.State,-9} {container}");
            }
        }
        foreach (var error in status.ContainerErrors) text.AppendLine(ic, $"label error: {error}");
        foreach (var refused in status.Refused) text.AppendLine(ic, $"refused: {refused}");
        foreach (var failure in status.Failures) text.AppendLine(ic, $"kernel refused: {failure}");
        return text.ToString();
    }
}
