using System.Runtime.InteropServices;
using GorbLink.Netlink;

namespace GorbLink.Core.IO;

/// <summary>
/// Replaces a file so that a reader, or the file system after a crash, sees either the old content or the new one:
/// write a temporary file in the same directory, fsync it, rename(2) it over the target, fsync the directory.
/// </summary>
public static partial class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, bool durable)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"{path} has no directory", nameof(path));
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                // Two writes, so that the file-write crash point leaves a torn temporary file, as a crash mid-write would.
                var half = content.Length / 2;
                stream.Write(content[..half]);
                CrashPoints.Reached(CrashPoint.FileWrite);
                stream.Write(content[half..]);
                stream.Flush(flushToDisk: durable);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        // The rename is durable only once the directory entry is: fsync the directory as well.
        if (durable) SyncDirectory(directory);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        // O_RDONLY | O_DIRECTORY | O_CLOEXEC
        var fd = Open(directory, 0x0 | 0x10000 | 0x80000);
        if (fd < 0) return; // best effort: the file itself is already on disk
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
