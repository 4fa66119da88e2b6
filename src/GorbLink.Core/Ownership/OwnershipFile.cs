using GorbLink.Core.IO;

namespace GorbLink.Core.Ownership;

/// <summary>
/// The file side of every ownership record (the kernel's state.json, each GORB daemon's remote-&lt;host&gt;_&lt;port&gt;.json):
/// read once, where a missing file means "nothing owned" and an unreadable one is an error the caller names; replaced
/// atomically and durably (<see cref="AtomicFile"/>, directory fsync included), so that a crash leaves the old record or
/// the new one, never a torn one or none.
/// </summary>
public static class OwnershipFile
{
    /// <summary>The file's bytes; null when there is no file.</summary>
    /// <param name="cannotRead">Makes the error to throw when the file exists but cannot be read.</param>
    public static byte[]? Read(string path, Func<Exception, Exception> cannotRead)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(cannotRead);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw cannotRead(e);
        }
    }

    /// <summary>Replaces the file with <paramref name="content"/>, durably.</summary>
    /// <param name="cannotWrite">Makes the error to throw when it cannot be written.</param>
    public static void Replace(string path, ReadOnlySpan<byte> content, Func<Exception, Exception> cannotWrite)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(cannotWrite);
        try
        {
            AtomicFile.Write(path, content, durable: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw cannotWrite(e);
        }
    }
}
