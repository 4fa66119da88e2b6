using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using GorbLink.Ipvs;

namespace GorbLink.Cli;

/// <summary>Which connection-sync daemons to run: master sends, backup receives, both does both (a director pair).</summary>
[Flags]
public enum SyncDaemonRoles
{
    None = 0,
    Master = 1,
    Backup = 2,
    Both = Master | Backup,
}

/// <summary>
/// The kernel's IPVS connection-sync daemon(s) GorbLink starts at start-up and stops on exit (--sync-daemon and friends).
/// </summary>
public sealed record SyncDaemonSettings
{
    public required SyncDaemonRoles Roles { get; init; }
    /// <summary>The interface the daemon sends on (master) or listens on (backup); the kernel needs one.</summary>
    public required string Interface { get; init; }
    /// <summary>The kernel keeps the sync id in a u8: a backup only accepts messages with its own id.</summary>
    public byte SyncId { get; init; }
    /// <summary>Multicast group; the kernel's default is 224.0.0.81.</summary>
    public IPAddress? Group { get; init; }
    /// <summary>UDP port; the kernel's default is 8848.</summary>
    public ushort? Port { get; init; }

    /// <summary>One daemon per role, as IPVS_CMD_NEW_DAEMON takes them.</summary>
    public IReadOnlyList<SyncDaemon> Daemons =>
    [
        .. new[] { (SyncDaemonRoles.Master, SyncDaemonState.Master), (SyncDaemonRoles.Backup, SyncDaemonState.Backup) }
            .Where(r => Roles.HasFlag(r.Item1))
            .Select(r => new SyncDaemon { State = r.Item2, Interface = Interface, SyncId = SyncId, MulticastGroup = Group, MulticastPort = Port }),
    ];
}

/// <summary>
/// --sync-daemon master|backup|both, --sync-interface, --sync-id, --sync-group, --sync-port, for `run` and `serve`;
/// each also from GORBLINK_SYNC_DAEMON, GORBLINK_SYNC_INTERFACE, ... (a flag wins over the variable).
/// Values are checked here, so a bad one is one line and exit code 2 before anything starts.
/// </summary>
internal sealed class SyncDaemonOptions
{
    private readonly Option<SyncDaemonRoles> _role = new("--sync-daemon")
    {
        Description = "Run the kernel's IPVS connection-sync daemon: master, backup or both; started at start-up, stopped on exit if GorbLink started it",
        CustomParser = result => ParseRole(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, result, "--sync-daemon"),
        DefaultValueFactory = result => RunCommand.Env("SYNC_DAEMON") is { } env ? ParseRole(env, result, "GORBLINK_SYNC_DAEMON") : SyncDaemonRoles.None,
    };
    private readonly Option<string?> _interface = new("--sync-interface")
    {
        Description = "Interface the sync daemon sends or listens on (needed with --sync-daemon)",
        DefaultValueFactory = _ => RunCommand.Env("SYNC_INTERFACE"),
    };
    private readonly Option<byte?> _syncId = new("--sync-id")
    {
        Description = "Sync id, 0-255: a backup takes only the master's messages with its own id (default 0)",
        CustomParser = result => ParseSyncId(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, result, "--sync-id"),
        DefaultValueFactory = result => RunCommand.Env("SYNC_ID") is { } env ? ParseSyncId(env, result, "GORBLINK_SYNC_ID") : null,
    };
    private readonly Option<IPAddress?> _group = new("--sync-group")
    {
        Description = "Multicast group of the sync messages, IPv4 or IPv6 (default: the kernel's 224.0.0.81)",
        CustomParser = result => ParseGroup(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, result, "--sync-group"),
        DefaultValueFactory = result => RunCommand.Env("SYNC_GROUP") is { } env ? ParseGroup(env, result, "GORBLINK_SYNC_GROUP") : null,
    };
    private readonly Option<ushort?> _port = new("--sync-port")
    {
        Description = "UDP port of the sync messages (default: the kernel's 8848)",
        CustomParser = result => ParsePort(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, result, "--sync-port"),
        DefaultValueFactory = result => RunCommand.Env("SYNC_PORT") is { } env ? ParsePort(env, result, "GORBLINK_SYNC_PORT") : null,
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _role, _interface, _syncId, _group, _port }) command.Options.Add(option);
        command.Validators.Add(Validate);
    }

    /// <summary>The daemons asked for, or null without --sync-daemon.</summary>
    public SyncDaemonSettings? Bind(ParseResult parse) =>
        parse.GetValue(_role) is var roles and not SyncDaemonRoles.None && parse.GetValue(_interface) is { Length: > 0 } device
            ? new SyncDaemonSettings
            {
                Roles = roles,
                Interface = device,
                SyncId = parse.GetValue(_syncId) ?? 0,
                Group = parse.GetValue(_group),
                Port = parse.GetValue(_port),
            }
            : null;

    /// <summary>The rules between the options: --sync-daemon needs an interface, and the others need --sync-daemon.</summary>
    private void Validate(CommandResult command)
    {
        // `run` is both the root command and a subcommand with the same options: check once, on the innermost.
        if (command.Children.OfType<CommandResult>().Any()) return;
        if (command.Children.OfType<OptionResult>().Any(r => r.Errors.Any())) return;
        SyncDaemonRoles roles;
        string? stray;
        string? device;
        try
        {
            // An option not given has no value here yet: its GORBLINK_* variable counts as given, like the flag.
            roles = command.GetValue(_role) is var flagged and not SyncDaemonRoles.None ? flagged
                : RunCommand.Env("SYNC_DAEMON")?.Trim().ToLowerInvariant() switch
                {
                    "master" => SyncDaemonRoles.Master,
                    "backup" => SyncDaemonRoles.Backup,
                    "both" => SyncDaemonRoles.Both,
                    _ => SyncDaemonRoles.None,
                };
            device = command.GetValue(_interface) ?? RunCommand.Env("SYNC_INTERFACE");
            stray = device is not null ? _interface.Name
                : command.GetValue(_syncId) is not null || RunCommand.Env("SYNC_ID") is not null ? _syncId.Name
                : command.GetValue(_group) is not null || RunCommand.Env("SYNC_GROUP") is not null ? _group.Name
                : command.GetValue(_port) is not null || RunCommand.Env("SYNC_PORT") is not null ? _port.Name
                : null;
        }
        catch (InvalidOperationException)
        {
            return; // a value's own error is reported where it is parsed
        }
        if (roles == SyncDaemonRoles.None)
        {
            if (stray is not null) command.AddError($"{stray} needs --sync-daemon master|backup|both");
            return;
        }
        if (device is not { Length: > 0 })
            command.AddError("--sync-daemon needs --sync-interface IF (the interface the sync messages go out on or come in on)");
        else if (device.Length > 15 || device.Contains('/') || device.Any(char.IsWhiteSpace))
            command.AddError($"--sync-interface: \"{device}\" is not an interface name (at most 15 characters, no '/' or spaces)");
    }

    internal static SyncDaemonRoles ParseRole(string? text, ArgumentResult result, string what) => text?.Trim().ToLowerInvariant() switch
    {
        "master" => SyncDaemonRoles.Master,
        "backup" => SyncDaemonRoles.Backup,
        "both" => SyncDaemonRoles.Both,
        _ => RunCommand.Fail(result, $"{what}: \"{text}\" is not master, backup or both", SyncDaemonRoles.None),
    };

    /// <summary>The kernel keeps the sync id in a u8 (struct ipvs_sync_daemon_cfg), though the attribute is a u32.</summary>
    private static byte? ParseSyncId(string? text, ArgumentResult result, string what)
    {
        if (byte.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
        return RunCommand.Fail<byte?>(result, $"{what}: \"{text}\" is not a number 0-255", null);
    }

    private static ushort? ParsePort(string? text, ArgumentResult result, string what)
    {
        if (ushort.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0) return port;
        return RunCommand.Fail<ushort?>(result, $"{what}: \"{text}\" is not a port 1-65535", null);
    }

    /// <summary>The kernel refuses a group that is not multicast with EINVAL; say so before asking it.</summary>
    private static IPAddress? ParseGroup(string? text, ArgumentResult result, string what)
    {
        if (!IPAddress.TryParse(text?.Trim(), out var address) || address.ToString().Contains('%', StringComparison.Ordinal))
            return RunCommand.Fail<IPAddress?>(result, $"{what}: \"{text}\" is not an IPv4 or IPv6 address", null);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var multicast = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? (address.GetAddressBytes()[0] & 0xf0) == 0xe0
            : address.IsIPv6Multicast;
        return multicast ? address
            : RunCommand.Fail<IPAddress?>(result, $"{what}: {address} is not a multicast address (224.0.0.0/4, ff00::/8)", null);
    }
}
