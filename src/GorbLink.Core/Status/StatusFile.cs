using System.Text.Json;
using GorbLink.Core.IO;

namespace GorbLink.Core.Status;

/// <summary>Reads and writes the status file that <c>gorblink run</c> leaves for <c>gorblink status</c>.</summary>
public static class StatusFile
{
    public const int FormatVersion = 1;
    public const string DefaultPath = "/var/lib/gorblink/status.json";

    /// <summary>The status file that goes with an ownership file: status.json in the same directory.</summary>
    public static string PathNextTo(string ownershipFilePath)
    {
        ArgumentNullException.ThrowIfNull(ownershipFilePath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(ownershipFilePath)) ?? "/";
        return Path.Combine(directory, "status.json");
    }

    /// <summary>Reads the status the agent last wrote.</summary>
    /// <exception cref="StatusFileException">No file (the agent is not running, or uses another state directory), or not a status file.</exception>
    public static AgentStatus Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StatusFileException(path,
                $"no status file at {path}: is `gorblink run` running, with the same state directory? It writes the file after every reconcile pass.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StatusFileException(path, $"cannot read the status file {path}: {e.Message}", e);
        }
        return Parse(content, path);
    }

    public static AgentStatus Parse(ReadOnlySpan<byte> content, string source)
    {
        AgentStatus? status;
        try
        {
            status = JsonSerializer.Deserialize(content, StatusJsonContext.Default.AgentStatus);
        }
        catch (JsonException e)
        {
            throw new StatusFileException(source, $"the status file {source} is not valid JSON: {e.Message}", e);
        }
        if (status is null) throw new StatusFileException(source, $"the status file {source} is empty");
        if (status.Version != FormatVersion)
            throw new StatusFileException(source, $"the status file {source} has format version {status.Version}; this gorblink reads version {FormatVersion}");
        return status;
    }

    public static byte[] Serialize(AgentStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return [.. JsonSerializer.SerializeToUtf8Bytes(status, StatusJsonContext.Default.AgentStatus), (byte)'\n'];
    }

    /// <summary>Replaces the file atomically (readers see the old or the new status, never half of one).</summary>
    public static void Write(string path, AgentStatus status) => AtomicFile.Write(path, Serialize(status), durable: false);
}

public sealed class StatusFileException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    public string FilePath { get; } = path;
}
