using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using GorbLink.Core.IO;

namespace GorbLink.Core.Vips;

/// <summary>An address GorbLink put on an interface: the only kind it ever removes.</summary>
public sealed record AddedVip(string Interface, IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength} on {Interface}";
}

/// <summary>
/// vips.json next to the ownership file: the addresses GorbLink added with --vip-interface. Written before an address is
/// added (so a crash never leaves an added address unlisted) and after every change. Addresses that were on the host
/// before are never listed, so they are never removed.
/// </summary>
public static class VipStateFile
{
    public const int FormatVersion = 1;
    public const string FileName = "vips.json";

    /// <summary>The listed addresses; none when the file does not exist.</summary>
    /// <exception cref="VipStateFileException">The file cannot be read or is damaged.</exception>
    public static IReadOnlyList<AddedVip> Read(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VipStateFileException(path, $"cannot read the VIP file {path}: {e.Message}", e);
        }
        VipDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(content, VipJsonContext.Default.VipDocument);
        }
        catch (JsonException e)
        {
            throw Corrupt(path, $"it is not valid JSON ({e.Message})", e);
        }
        if (document?.Version != FormatVersion) throw Corrupt(path, $"its version is {document?.Version?.ToString() ?? "missing"}, expected {FormatVersion}");
        var result = new List<AddedVip>();
        var entries = document.Addresses ?? [];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry is null || string.IsNullOrEmpty(entry.Interface)) throw Corrupt(path, $"addresses[{i}] has no interface");
            if (!IPAddress.TryParse(entry.Address, out var address)) throw Corrupt(path, $"addresses[{i}]: \"{entry.Address}\" is not an IP address");
            var max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
            if (entry.PrefixLength is not { } prefix || prefix < 0 || prefix > max) throw Corrupt(path, $"addresses[{i}]: prefix length is not 0..{max}");
            result.Add(new AddedVip(entry.Interface, address, prefix));
        }
        return result;
    }

    /// <summary>Replaces the file atomically and durably.</summary>
    /// <exception cref="VipStateFileException">The file cannot be written.</exception>
    public static void Write(string path, IReadOnlyCollection<AddedVip> addresses)
    {
        var document = new VipDocument
        {
            Version = FormatVersion,
            Agent = "gorblink",
            Written = DateTimeOffset.UtcNow,
            Addresses = [.. addresses.Select(a => new VipEntry { Interface = a.Interface, Address = a.Address.ToString(), PrefixLength = a.PrefixLength })],
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(document, VipJsonContext.Default.VipDocument);
        try
        {
            AtomicFile.Write(path, [.. json, (byte)'\n'], durable: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VipStateFileException(path, $"cannot write the VIP file {path}: {e.Message}", e);
        }
    }

    private static VipStateFileException Corrupt(string path, string problem, Exception? inner = null) => new(path,
        $"the VIP file {path} is damaged: {problem}. It lists the addresses GorbLink added with --vip-interface, and GorbLink " +
        $"will not guess which to remove. Check the addresses on the interface (ip addr), remove the ones GorbLink added by hand " +
        $"if needed, then move the file away (mv {path} {path}.bad) and restart.", inner);
}

/// <summary>The VIP file cannot be read, written or understood.</summary>
public sealed class VipStateFileException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    public string FilePath { get; } = path;
}

internal sealed class VipDocument
{
    public int? Version { get; set; }
    public string? Agent { get; set; }
    public DateTimeOffset? Written { get; set; }
    public List<VipEntry?>? Addresses { get; set; }
}

internal sealed class VipEntry
{
    public string? Interface { get; set; }
    public string? Address { get; set; }
    public int? PrefixLength { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(VipDocument))]
internal sealed partial class VipJsonContext : JsonSerializerContext;
