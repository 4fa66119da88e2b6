using System.CommandLine;
using System.Net;
using GorbLink.Cli;
using GorbLink.Hosting;

namespace GorbLink.Tests.Cli;

/// <summary>--sync-daemon and its options on `run` and `serve`: values, the rules between them, GORBLINK_* variables.</summary>
[Collection(nameof(EnvironmentCollection))]
public class SyncDaemonOptionsTests
{
    private static (RunOptions Options, IReadOnlyList<string> Errors) Parse(params string[] args) => CliTesting.ParseRun(args);

    [Fact]
    public void OffByDefault() => Assert.Null(Parse().Options.SyncDaemon);

    public static TheoryData<string[], SyncDaemonRoles, string, byte, string?, ushort?> Good => new()
    {
        { ["--sync-daemon", "master", "--sync-interface", "eth1"], SyncDaemonRoles.Master, "eth1", 0, null, null },
        { ["--sync-daemon", "backup", "--sync-interface", "eth1", "--sync-id", "255"], SyncDaemonRoles.Backup, "eth1", 255, null, null },
        { ["--sync-daemon", "BOTH", "--sync-interface", "sync0", "--sync-id", "0", "--sync-group", "239.1.2.3", "--sync-port", "8849"], SyncDaemonRoles.Both, "sync0", 0, "239.1.2.3", 8849 },
        { ["--sync-daemon", "both", "--sync-interface", "eth0", "--sync-group", "ff02::1:2"], SyncDaemonRoles.Both, "eth0", 0, "ff02::1:2", null },
    };

    [Theory]
    [MemberData(nameof(Good))]
    public void GoodValues(string[] args, SyncDaemonRoles roles, string device, byte syncId, string? group, ushort? port)
    {
        var (options, errors) = Parse(args);
        Assert.Empty(errors);
        var sync = options.SyncDaemon!;
        Assert.Equal((roles, device, syncId, group, port), (sync.Roles, sync.Interface, sync.SyncId, sync.Group?.ToString(), sync.Port));
    }

    [Theory]
    [InlineData(new[] { "--sync-daemon", "primary", "--sync-interface", "eth1" }, "--sync-daemon: \"primary\" is not master, backup or both")]
    [InlineData(new[] { "--sync-daemon", "master" }, "--sync-daemon needs --sync-interface IF (the interface the sync messages go out on or come in on)")]
    [InlineData(new[] { "--sync-daemon", "master", "--sync-interface", "eth1", "--sync-id", "256" }, "--sync-id: \"256\" is not a number 0-255")]
    [InlineData(new[] { "--sync-daemon", "master", "--sync-interface", "eth1", "--sync-id", "-1" }, "--sync-id: \"-1\" is not a number 0-255")]
    [InlineData(new[] { "--sync-daemon", "master", "--sync-interface", "eth1", "--sync-group", "10.0.0.1" }, "--sync-group: 10.0.0.1 is not a multicast address (224.0.0.0/4, ff00::/8)")]
    [InlineData(new[] { "--sync-daemon", "master", "--sync-interface", "eth1", "--sync-group", "group" }, "--sync-group: \"group\" is not an IPv4 or IPv6 address")]
    [InlineData(new[] { "--sync-daemon", "master", "--sync-interface", "eth1", "--sync-port", "0" }, "--sync-port: \"0\" is not a port 1-65535")]
    [InlineData(new[] { "--sync-daemon", "master", "--sync-interface", "eth1", "--sync-port", "65536" }, "--sync-port: \"65536\" is not a port 1-65535")]
    [InlineData(new[] { "--sync-daemon", "master", "--sync-interface", "a-very-long-interface" }, "--sync-interface: \"a-very-long-interface\" is not an interface name (at most 15 characters, no '/' or spaces)")]
    [InlineData(new[] { "--sync-interface", "eth1" }, "--sync-interface needs --sync-daemon master|backup|both")]
    [InlineData(new[] { "--sync-port", "8848" }, "--sync-port needs --sync-daemon master|backup|both")]
    public void BadValuesAreOneClearLine(string[] args, string expected) =>
        Assert.Equal([expected], Parse(args).Errors);

    [Fact]
    public void TheRunSubcommandReportsAnErrorOnce()
    {
        var run = new RunCommand();
        var root = new RootCommand();
        run.AddTo(root);
        var sub = new Command("run");
        run.AddTo(sub);
        root.Subcommands.Add(sub);
        Assert.Equal(["--sync-daemon needs --sync-interface IF (the interface the sync messages go out on or come in on)"],
            root.Parse(["run", "--sync-daemon", "master"]).Errors.Select(e => e.Message));
    }

    [Fact]
    public void EnvironmentVariablesSetThem()
    {
        string[] names = ["SYNC_DAEMON", "SYNC_INTERFACE", "SYNC_ID", "SYNC_GROUP", "SYNC_PORT"];
        string[] values = ["backup", "eth2", "12", "239.0.0.9", "9000"];
        for (var i = 0; i < names.Length; i++) Environment.SetEnvironmentVariable("GORBLINK_" + names[i], values[i]);
        try
        {
            var (options, errors) = Parse();
            Assert.Empty(errors);
            Assert.Equal(new SyncDaemonSettings { Roles = SyncDaemonRoles.Backup, Interface = "eth2", SyncId = 12, Group = IPAddress.Parse("239.0.0.9"), Port = 9000 },
                options.SyncDaemon);
            // A flag wins over the variable.
            var (flagged, flagErrors) = Parse("--sync-daemon", "master");
            Assert.Empty(flagErrors);
            Assert.Equal(SyncDaemonRoles.Master, flagged.SyncDaemon!.Roles);
        }
        finally
        {
            foreach (var name in names) Environment.SetEnvironmentVariable("GORBLINK_" + name, null);
        }
    }

    [Fact]
    public void AnInterfaceVariableWithoutTheDaemonIsAnError()
    {
        Environment.SetEnvironmentVariable("GORBLINK_SYNC_INTERFACE", "eth1");
        try
        {
            Assert.Equal(["--sync-interface needs --sync-daemon master|backup|both"], Parse().Errors);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_SYNC_INTERFACE", null);
        }
    }

    [Fact]
    public void ABadEnvironmentVariableIsAnErrorNamingIt()
    {
        Environment.SetEnvironmentVariable("GORBLINK_SYNC_DAEMON", "slave");
        try
        {
            Assert.Contains("GORBLINK_SYNC_DAEMON: \"slave\" is not master, backup or both", Parse().Errors);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GORBLINK_SYNC_DAEMON", null);
        }
    }

    [Fact]
    public void BothMeansOneDaemonPerRoleWithTheSameSettings()
    {
        var settings = new SyncDaemonSettings { Roles = SyncDaemonRoles.Both, Interface = "eth1", SyncId = 4, Port = 8849 };
        Assert.Equal([Ipvs.SyncDaemonState.Master, Ipvs.SyncDaemonState.Backup], settings.Daemons.Select(d => d.State));
        Assert.All(settings.Daemons, d => Assert.Equal(("eth1", 4u, (ushort?)8849), (d.Interface, d.SyncId, d.MulticastPort)));
    }

    [Fact]
    public void RunWithRemotesRefusesItWithoutLocal()
    {
        var (options, errors) = Parse("-r", "director:4672", "--sync-daemon", "master", "--sync-interface", "eth1");
        Assert.Empty(errors);
        Assert.Equal("--sync-daemon", RemoteAgentHost.KernelOnlyFlag(options));
    }

    [Fact]
    public void ServeTakesThem()
    {
        var root = new RootCommand { ServeCommand.Build() };
        Assert.Empty(root.Parse(["serve", "--sync-daemon", "both", "--sync-interface", "eth1", "--sync-id", "3"]).Errors);
        Assert.Equal(["--sync-id: \"x\" is not a number 0-255"],
            root.Parse(["serve", "--sync-daemon", "both", "--sync-interface", "eth1", "--sync-id", "x"]).Errors.Select(e => e.Message));
    }
}
