using System.CommandLine;
using GorbLink.Core.Planning;
using GorbLink.Core.Rendering;
using GorbLink.Core.StateFiles;
using GorbLink.Ipvs;
using GorbLink.Ipvs.Netlink;

namespace GorbLink.Cli;

/// <summary>`gorblink ipvs ...`: the kernel table, read and written in-process over netlink.</summary>
internal static class IpvsCommands
{
    public static Command Build()
    {
        var ipvs = new Command("ipvs", "Read and write the kernel's IPVS table directly (no ipvsadm needed)");
        ipvs.Subcommands.Add(List());
        ipvs.Subcommands.Add(Apply());
        ipvs.Subcommands.Add(Flush());
        return ipvs;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print the table as a state file (the schema `ipvs apply` reads)" };
        var stats = new Option<bool>("--stats") { Description = "Include traffic counters" };
        var command = new Command("list", "Print the kernel's IPVS table, like ipvsadm -Ln") { json, stats };
        command.SetAction((parse, ct) => Guard(async () =>
        {
            await using var client = await IpvsNetlinkClient.OpenAsync(ct);
            var table = await client.GetTableAsync(ct);
            if (parse.GetValue(json))
            {
                Console.Out.Write(StateFileWriter.Write(table, parse.GetValue(stats)));
                Console.Out.WriteLine();
                return ExitCodes.Success;
            }
            var info = await client.GetInfoAsync(ct);
            Console.Out.Write(parse.GetValue(stats) ? IpvsTableText.RenderStats(table, info) : IpvsTableText.Render(table, info));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Apply()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "State file (JSON); - reads standard input" };
        var prune = new Option<bool>("--prune") { Description = "Also delete kernel services that FILE does not list" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would change; change nothing" };
        var command = new Command("apply", "Make the kernel's IPVS table match FILE: create, update and delete what differs") { file, prune, dryRun };
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var path = parse.GetValue(file)!;
            var desired = path.Name == "-" && !path.Exists
                ? StateFileReader.Parse(await Console.In.ReadToEndAsync(ct), "standard input")
                : await StateFileReader.ReadFileAsync(path.FullName, ct);
            await using var client = await IpvsNetlinkClient.OpenAsync(ct);
            var actual = await client.GetTableAsync(ct);
            var plan = IpvsPlanner.Plan(desired, actual, new IpvsPlannerOptions { Prune = parse.GetValue(prune) });
            if (plan.IsEmpty)
            {
                Console.Out.WriteLine("no changes");
                return ExitCodes.Success;
            }
            Console.Out.WriteLine(plan.Describe());
            if (parse.GetValue(dryRun))
            {
                Console.Out.WriteLine($"dry run: {plan.Summary()} not applied");
                return ExitCodes.Success;
            }
            var result = await client.ExecuteAsync(plan.Steps.Select(s => s.Operation).ToList(), ct);
            foreach (var failure in result.Failures) Console.Error.WriteLine($"error: {failure.Message}");
            Console.Out.WriteLine(result.Succeeded
                ? $"applied: {plan.Summary()}"
                : $"applied {result.Count - result.Failures.Count} of {result.Count} changes; {result.Failures.Count} refused by the kernel");
            return result.Succeeded ? ExitCodes.Success : ExitCodes.KernelRefused;
        }));
        return command;
    }

    private static Command Flush()
    {
        var command = new Command("flush", "Delete every IPVS service and destination in this network namespace, whoever made them");
        command.SetAction((_, ct) => Guard(async () =>
        {
            await using var client = await IpvsNetlinkClient.OpenAsync(ct);
            var count = (await client.GetServicesAsync(ct)).Count;
            await client.FlushAsync(ct);
            Console.Out.WriteLine($"flushed {count} services");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Turns the failures a user can cause or fix into one clear line and an exit code that says which.</summary>
    internal static async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Failure;
        }
        catch (Exception e) when (ExitCodeFor(e) is { } code)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return code;
        }
    }

    private static int? ExitCodeFor(Exception e) => e switch
    {
        StateFileException or FileNotFoundException or DirectoryNotFoundException => ExitCodes.BadInput,
        IpvsUnavailableException => ExitCodes.NoIpvs,
        IpvsPermissionException => ExitCodes.NoPermission,
        IpvsException => ExitCodes.KernelRefused,
        _ => null,
    };
}
