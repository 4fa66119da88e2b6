namespace GorbLink.Core.StateFiles;

/// <summary>A state file was rejected. <see cref="Errors"/> lists every problem found, each naming the service and field.</summary>
public sealed class StateFileException : Exception
{
    public StateFileException(string source, IReadOnlyList<string> errors)
        : base(Format(source, errors))
    {
        SourceName = source;
        Errors = errors;
    }

    /// <summary>The file name, or another description of where the JSON came from.</summary>
    public string SourceName { get; }
    public IReadOnlyList<string> Errors { get; }

    private static string Format(string source, IReadOnlyList<string> errors) =>
        errors.Count == 1
            ? $"{source}: {errors[0]}"
            : $"{source}: {errors.Count} errors:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}";
}
