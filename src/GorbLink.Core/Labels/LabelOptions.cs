using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace GorbLink.Core.Labels;

/// <summary>How container labels are read: the prefix, opt-in policy, and the addresses of --interface.</summary>
public sealed record LabelOptions
{
    public const string DefaultPrefix = "gorb";

    private readonly ImmutableArray<IPAddress> _interfaceAddresses = [];

    /// <summary>Label namespace (--label-prefix): labels are "&lt;prefix&gt;.enable", "&lt;prefix&gt;.vip", ...</summary>
    public string Prefix { get; init; } = DefaultPrefix;

    /// <summary>--expose-by-default: every container is a candidate unless it says &lt;prefix&gt;.enable=false.</summary>
    public bool ExposeByDefault { get; init; }

    /// <summary>VIP of containers without a vip label. Null: the first IPv4 address of <see cref="InterfaceAddresses"/>.</summary>
    public IPAddress? DefaultVip { get; init; }

    /// <summary>
    /// Addresses of --interface, in the order the interface lists them. The first IPv4 address replaces 0.0.0.0 in
    /// published bindings, the first IPv6 address that is not link-local replaces ::.
    /// </summary>
    public ImmutableArray<IPAddress> InterfaceAddresses
    {
        get => _interfaceAddresses;
        init => _interfaceAddresses = value.IsDefault ? [] : value;
    }

    /// <summary>The VIP used when a container has no vip label, or null when there is none.</summary>
    public IPAddress? EffectiveDefaultVip => DefaultVip ?? HostAddress(AddressFamily.InterNetwork);

    /// <summary>The interface address that stands for "any" (0.0.0.0 or ::) of <paramref name="family"/>, or null.</summary>
    public IPAddress? HostAddress(AddressFamily family)
    {
        foreach (var address in _interfaceAddresses)
        {
            var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            if (a.AddressFamily != family) continue;
            // A link-local IPv6 address needs a scope to be reached; it is no use as a destination.
            if (family == AddressFamily.InterNetworkV6 && a.IsIPv6LinkLocal) continue;
            return a;
        }
        return null;
    }

    /// <summary>Options for --interface with these addresses; the default VIP is its first IPv4 address.</summary>
    public static LabelOptions ForInterface(IEnumerable<IPAddress> addresses, string prefix = DefaultPrefix, bool exposeByDefault = false)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        return new LabelOptions { Prefix = prefix, ExposeByDefault = exposeByDefault, InterfaceAddresses = [.. addresses] };
    }
}
