using System.CommandLine;
using GorbLink;
using GorbLink.Cli;
using GorbLink.Hosting;
using GorbLink.Netlink;

var run = new RunCommand();
var root = new RootCommand("GorbLink: Docker containers to Linux IPVS virtual services, programmed in-process over netlink");
run.AddTo(root);
root.SetAction((parse, ct) => AgentHost.RunAsync(run.Bind(parse), ct));

var runCommand = new Command("run", "Run the agent (the default command): watch Docker, keep the kernel's IPVS table in sync");
run.AddTo(runCommand);
runCommand.SetAction((parse, ct) => AgentHost.RunAsync(run.Bind(parse), ct));
root.Subcommands.Add(runCommand);
root.Subcommands.Add(StatusCommand.Build());
root.Subcommands.Add(ServeCommand.Build());
root.Subcommands.Add(IpvsCommands.Build());

if (CrashPoints.EnvironmentError is { } crashPointError)
{
    Console.Error.WriteLine($"error: {crashPointError}");
    return ExitCodes.BadInput;
}

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line per problem and the exit code for bad options, instead of the whole help text.
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("see: gorblink --help");
    return ExitCodes.BadInput;
}

// The generic host handles SIGTERM itself and waits for cleanup; System.CommandLine must not cut it short.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
