using System.CommandLine;
namespace GorbLink.Cli;

internal static class StatusCommand
{
    public static Command Build()
    {
        var command = new Command("status", "Show the agent's view: each virtual service with its containers and the kernel's counters");
        command.SetAction(_ => 0);
        return command;
    }
}
