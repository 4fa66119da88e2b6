using System.CommandLine;
using GorbLink.Cli;
using GorbLink.Hosting;

var run = new RunCommand();
var root = new RootCommand("GorbLink: Docker containers to Linux IPVS virtual services, programmed in-process over netlink");
run.AddTo(root);
root.SetAction((parse, ct) => AgentHost.RunAsync(run.Bind(parse), ct));

var runCommand = new Command("run", "Run the agent (the default command): watch Docker, keep the kernel's IPVS table in sync");
run.AddTo(runCommand);
runCommand.SetAction((parse, ct) => AgentHost.RunAsync(run.Bind(parse), ct));
root.Subcommands.Add(runCommand);
root.Subcommands.Add(StatusCommand.Build());
root.Subcommands.Add(IpvsCommands.Build());

// The generic host handles SIGTERM itself and waits for cleanup; System.CommandLine must not cut it short.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
