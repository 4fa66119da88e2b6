using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace GorbLink.Hosting;

/// <summary>Addresses of the --interface: the first IPv4 is the default VIP and replaces 0.0.0.0 in port bindings.</summary>
internal static class InterfaceAddresses
{
    public static IReadOnlyList<IPAddress> Of(string name)
    {
        var interfaces = NetworkInterface.GetAllNetworkInterfaces();
        var match = interfaces.FirstOrDefault(i => i.Name == name)
            ?? throw new ArgumentException(
                $"interface {name} not found (available: {string.Join(", ", interfaces.Select(i => i.Name).Order(StringComparer.Ordinal))}); " +
                "set it with -i/--interface, and run with --net=host in a container");
        var addresses = match.GetIPProperties().UnicastAddresses
            .Select(a => a.Address)
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .ToList();
        return addresses;
    }
}
