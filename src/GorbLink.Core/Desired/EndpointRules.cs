using System.Net;
using System.Net.Sockets;

namespace GorbLink.Core.Desired;

/// <summary>
/// One validation per concept for the addresses and weights that become IPVS entries, shared by the state files and
/// `serve`'s REST API (the labels have the same rules), so that a value refused in one place is refused in all.
/// </summary>
public static class EndpointRules
{
    /// <summary>ipvsadm's range for a destination weight (the kernel takes any int; nothing above this is sensible).</summary>
    public const int MaxWeight = 65535;

    /// <summary>
    /// Strict address syntax: IPv4 only as four dotted decimals without leading zeros (IPAddress.Parse also takes "10.1"
    /// as 10.0.0.1, "0x0a000001" and "10" as 0.0.0.10); IPv6 without a zone ("%1") or brackets. An IPv4-mapped IPv6
    /// address is returned as IPv4.
    /// </summary>
    public static bool TryParseAddress(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrEmpty(text)) return false;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            foreach (var ch in text)
            {
                if (!char.IsAsciiHexDigit(ch) && ch is not ':' and not '.') return false;
            }
            if (!IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6 || v6.ScopeId != 0) return false;
            address = v6.IsIPv4MappedToIPv6 ? v6.MapToIPv4() : v6;
            return true;
        }
        var parts = 0;
        foreach (var range in text.AsSpan().Split('.'))
        {
            var part = text.AsSpan()[range];
            parts++;
            if (part.IsEmpty || part.Length > 3 || (part.Length > 1 && part[0] == '0')) return false;
            var octet = 0;
            foreach (var ch in part)
            {
                if (ch is < '0' or > '9') return false;
                octet = octet * 10 + (ch - '0');
            }
            if (octet > 255) return false;
        }
        if (parts != 4 || !IPAddress.TryParse(text, out var v4)) return false;
        address = v4;
        return true;
    }

    /// <summary>
    /// True when <paramref name="text"/> is something the system's parser would take as an address (so it must not be
    /// looked up as a DNS name), strict or not: "10.1", "0x0a000001", "fe80::1%1".
    /// </summary>
    public static bool LooksLikeAddress(string text) =>
        IPAddress.TryParse(text, out _) || text.Contains(':', StringComparison.Ordinal);

    /// <summary>Why <paramref name="address"/> cannot be a virtual IP or a destination, or null when it can: unspecified, broadcast or multicast.</summary>
    public static string? NotUnicast(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return $"{address} is the unspecified address, not a unicast address";
        if (address.Equals(IPAddress.Broadcast)) return $"{address} is the broadcast address, not a unicast address";
        if (IsMulticast(address)) return $"{address} is a multicast address, not a unicast address";
        return null;
    }

    public static bool IsMulticast(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? address.IsIPv6Multicast
            : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;
    }

    /// <summary>Why <paramref name="weight"/> is not a destination weight, or null: 0..<see cref="MaxWeight"/>.</summary>
    public static string? BadWeight(long weight) =>
        weight is < 0 or > MaxWeight ? $"{weight} is out of range 0..{MaxWeight}" : null;
}
