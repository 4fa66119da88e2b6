using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace GorbLink.Core.StateFiles;

/// <summary>
/// The "netmask" field: persistence granularity. IPv4 takes a dotted mask ("255.255.255.0") or a prefix length
/// ("24" or "/24", 0..32); IPv6 takes only a prefix length ("64" or "/64", 1..128), which is all the kernel stores for it.
/// </summary>
internal static class Netmask
{
    public static bool TryParse(string text, AddressFamily family, out int prefixLength, out string problem)
    {
        prefixLength = 0;
        problem = "";
        var v6 = family == AddressFamily.InterNetworkV6;
        if (!v6 && text.Contains('.'))
        {
            if (IPAddress.TryParse(text, out var mask) && mask.AddressFamily == AddressFamily.InterNetwork && mask.ToString() == text
                && TryPrefixOfMask(mask, out prefixLength))
                return true;
            problem = $"\"{text}\" is not a contiguous IPv4 netmask like \"255.255.255.0\"";
            return false;
        }

        var digits = text.StartsWith('/') ? text[1..] : text;
        var (minimum, maximum) = v6 ? (1, 128) : (0, 32);
        if (digits.Length is > 0 and <= 3 && digits.All(char.IsAsciiDigit)
            && int.Parse(digits, CultureInfo.InvariantCulture) is var length && length >= minimum && length <= maximum)
        {
            prefixLength = length;
            return true;
        }
        problem = v6
            ? $"\"{text}\" is not an IPv6 prefix length like \"64\" or \"/64\" (1..128)"
            : $"\"{text}\" is not an IPv4 netmask like \"255.255.255.0\" or a prefix length like \"/24\" (0..32)";
        return false;
    }

    /// <summary>"255.255.255.0" for IPv4 (the form ipvsadm prints), "/64" for IPv6.</summary>
    public static string Format(int prefixLength, AddressFamily family)
    {
        if (family == AddressFamily.InterNetworkV6) return $"/{prefixLength}";
        var mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, mask);
        return new IPAddress(bytes).ToString();
    }

    private static bool TryPrefixOfMask(IPAddress mask, out int prefixLength)
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        prefixLength = System.Numerics.BitOperations.PopCount(value);
        return value == (prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength));
    }
}
