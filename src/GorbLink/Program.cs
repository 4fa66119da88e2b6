using System.CommandLine;
using GorbLink.Cli;

var root = new RootCommand("GorbLink: Docker containers to Linux IPVS, in-process over netlink");
root.Subcommands.Add(IpvsCommands.Build());
return await root.Parse(args).InvokeAsync();
