using System.Net;

namespace GorbLink.Core.Labels;

/// <summary>
/// The VIP a container without a vip label gets, as one sink sees it. The choice belongs to the sink, not to the
/// desired state: this host's kernel uses the first IPv4 address of --interface (<see cref="InterfaceAddress"/>), a GORB
/// daemon its own default address (GorbLink.Remote's DaemonDefaultVip). One pipeline builds the desired state once per
/// distinct default VIP among its sinks (<see cref="Desired.DesiredStateBuilder.Build(Containers.ContainerSnapshot, Desired.DesiredState?, DefaultVip)"/>).
/// The VIP is chosen while the labels are read, not substituted afterwards, because its address family picks the
/// destinations and a service on it may clash with one named by a vip label.
/// </summary>
/// <param name="Address">The VIP; null stands for the first IPv4 address of --interface, as <see cref="LabelOptions.DefaultVip"/>.</param>
public readonly record struct DefaultVip(IPAddress? Address)
{
    /// <summary>The first IPv4 address of --interface (none when it has none: such containers get a label error).</summary>
    public static DefaultVip InterfaceAddress => default;

    public override string ToString() => Address?.ToString() ?? "the interface's IPv4 address";
}
