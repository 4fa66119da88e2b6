using System.Globalization;
using GorbLink.Ipvs;

namespace GorbLink.Remote.Protocol;

/// <summary>
/// The IDs GorbLink gives virtual services and backends on a GORB daemon: the scheme of gorb-docker-link, so that
/// dashboards and scripts built on GORB keep working.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>vsID</b> = the name, with '/' and ':' replaced by '-', then "-&lt;container port&gt;-&lt;protocol&gt;". The name is
/// the service label when there is one, else the image exactly as the container was run with it, as gorb-docker-link
/// does: nginx → nginx-80-tcp, nginx:latest → nginx-latest-80-tcp, sonatype/nexus → sonatype-nexus-8081-tcp.</item>
/// <item><b>rsID</b> = the container name (Docker's leading '/' dropped) with '/' and ':' replaced by '-', then
/// "-&lt;published port&gt;-&lt;protocol&gt;": /serene_goldstine → serene_goldstine-32768-tcp. With backend=container labels the
/// destination port (the container port) stands in for the published port.</item>
/// <item>Leading and trailing '-' are trimmed from both, as gorb-docker-link does for rsIDs.</item>
/// </list>
/// GORB keys backends by rsID alone, so an rsID must be unique on the daemon: container names are unique per Docker
/// host, and the published port makes them unique per host address. Two services of one daemon that would get the same
/// vsID, or two backends the same rsID, are refused (the first in key order wins) and reported.
/// </remarks>
public static class GorbIds
{
    public static string ServiceId(string serviceName, ushort containerPort, IpvsProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(serviceName);
        return Mangle($"{serviceName}-{containerPort.ToString(CultureInfo.InvariantCulture)}-{IpvsNames.Protocol(protocol)}");
    }

    public static string BackendId(string containerName, ushort publishedPort, IpvsProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(containerName);
        return Mangle($"{containerName.TrimStart('/')}-{publishedPort.ToString(CultureInfo.InvariantCulture)}-{IpvsNames.Protocol(protocol)}");
    }

    /// <summary>'/' and ':' become '-' (they cannot stand in a URL path segment for gorilla/mux); '-' trimmed at both ends.</summary>
    public static string Mangle(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace('/', '-').Replace(':', '-').Trim('-');
    }
}
