namespace GorbLink.Core.Ownership;

/// <summary>
/// The ownership file could not be read or written. GorbLink refuses to guess which IPVS entries are its own: the
/// message names the file and says how to get going again.
/// </summary>
public sealed class OwnershipFileException : Exception
{
    public OwnershipFileException(string path, string message, Exception? inner = null)
        : base(message, inner)
    {
        FilePath = path;
    }

    public string FilePath { get; }
}
