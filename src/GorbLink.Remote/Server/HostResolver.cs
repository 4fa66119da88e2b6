using System.Net;
using System.Net.Sockets;
using GorbLink.Core.Desired;

namespace GorbLink.Remote.Server;

/// <summary>
/// The "host" of a service or backend as an address: a strict IP address (<see cref="EndpointRules"/>: no "10.1", no
/// "0x0a000001", no IPv6 zone), or a DNS name resolved once, when the request comes (GORB resolves it too).
/// </summary>
internal sealed class HostResolver(TimeSpan timeout, IPAddress? defaultServiceHost)
{
    /// <summary>A service's host; empty means the daemon's default (the first address of -i).</summary>
    public async Task<IPAddress> ResolveServiceHostAsync(string? host, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(host)) return await ResolveAsync(host, "host", cancellationToken).ConfigureAwait(false);
        return defaultServiceHost ?? throw GorbApiException.BadRequest(
            "host: endpoint information is missing (no host given, and the daemon's -i interface has no address to default to)");
    }

    public async Task<IPAddress> ResolveAsync(string host, string field, CancellationToken cancellationToken)
    {
        if (EndpointRules.TryParseAddress(host, out var address)) return address;
        if (EndpointRules.LooksLikeAddress(host))
            throw GorbApiException.BadRequest($"{field}: \"{host}\" is not an IP address as written here (IPv4 as four decimal numbers, IPv6 without a zone)");
        if (Uri.CheckHostName(host) != UriHostNameType.Dns) throw GorbApiException.BadRequest($"{field}: \"{host}\" is neither an IP address nor a DNS name");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        IPAddress[] found;
        try
        {
            found = await Dns.GetHostAddressesAsync(host, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw GorbApiException.BadRequest($"{field}: cannot resolve \"{host}\": {e.Message}");
        }
        var chosen = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault()
            ?? throw GorbApiException.BadRequest($"{field}: \"{host}\" resolves to no address");
        return chosen.IsIPv4MappedToIPv6 ? chosen.MapToIPv4() : chosen;
    }
}
