using System.Collections.Immutable;
using GorbLink.Ipvs;

namespace GorbLink.Core.Labels;

/// <summary>The port texts of labels and Docker: "80/tcp" and the ports label's "[vport:]cport[/proto]" list. Linear in their length.</summary>
internal static class PortLists
{
    /// <summary>"80/tcp", "53/udp" or "80" (tcp): Docker's exposed-port keys.</summary>
    public static bool TryParsePortProtocol(string text, out ushort port, out IpvsProtocol protocol)
    {
        var span = text.AsSpan().Trim();
        protocol = IpvsProtocol.Tcp;
        port = 0;
        var slash = span.IndexOf('/');
        if (slash >= 0)
        {
            if (!IpvsNames.TryParseProtocol(span[(slash + 1)..], out protocol)) return false;
            span = span[..slash];
        }
        if (!LabelValues.TryParseDigits(span, out var value) || value is 0 or > ushort.MaxValue) return false;
        port = (ushort)value;
        return true;
    }

    /// <summary>"[vport:]cport[/proto]" items separated by commas; a virtual port/protocol may appear once.</summary>
    /// <returns>Null, or the problem.</returns>
    public static string? Parse(string text, ImmutableArray<PortMapping>.Builder ports)
    {
        if (text.Trim().Length == 0) return "empty port list; expected [vport:]cport[/proto] items, e.g. 8080:80/tcp,53/udp";
        var seen = new HashSet<(ushort VirtualPort, IpvsProtocol Protocol)>();
        foreach (var range in text.AsSpan().Split(','))
        {
            var item = text.AsSpan()[range].Trim();
            if (item.IsEmpty) return "empty item; expected [vport:]cport[/proto] items separated by commas";
            var protocol = IpvsProtocol.Tcp;
            var slash = item.IndexOf('/');
            var numbers = item;
            if (slash >= 0)
            {
                var protoText = item[(slash + 1)..].Trim();
                if (!IpvsNames.TryParseProtocol(protoText, out protocol))
                    return $"item \"{item}\": unknown protocol \"{protoText}\" (known: {IpvsNames.KnownProtocols})";
                numbers = item[..slash].Trim();
            }
            var colon = numbers.IndexOf(':');
            var vText = colon >= 0 ? numbers[..colon].Trim() : numbers;
            var cText = colon >= 0 ? numbers[(colon + 1)..].Trim() : numbers;
            if (!LabelValues.TryParseDigits(vText, out var vport) || !LabelValues.TryParseDigits(cText, out var cport))
                return $"item \"{item}\" is not [vport:]cport[/proto]";
            if (vport is 0 or > ushort.MaxValue || cport is 0 or > ushort.MaxValue)
                return $"item \"{item}\": ports must be 1..65535";
            var mapping = new PortMapping((ushort)vport, (ushort)cport, protocol);
            if (!seen.Add((mapping.VirtualPort, mapping.Protocol)))
                return $"virtual port {mapping.VirtualPort}/{IpvsNames.Protocol(protocol)} is listed twice";
            ports.Add(mapping);
        }
        return null;
    }
}
