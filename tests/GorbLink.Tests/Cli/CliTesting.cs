using System.CommandLine;
using GorbLink.Cli;

namespace GorbLink.Tests.Cli;

internal static class CliTesting
{
    /// <summary>`gorblink run ARGS` parsed as the executable parses it: the bound options, or the parse errors.</summary>
    public static (RunOptions Options, IReadOnlyList<string> Errors) ParseRun(params string[] args)
    {
        var run = new RunCommand();
        var root = new RootCommand();
        run.AddTo(root);
        var parse = root.Parse(args);
        var errors = parse.Errors.Select(e => e.Message).ToList();
        return (errors.Count == 0 ? run.Bind(parse) : new RunOptions(), errors);
    }
}

/// <summary>Tests that set GORBLINK_* variables (which every option reads) run one at a time, apart from the rest.</summary>
[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;
