using System.Net.Sockets;
using GorbLink.Ipvs;

namespace GorbLink.Core.Planning;

/// <summary>
/// What the kernel reports back differs from what it was given in a few known ways; these put both sides in one form
/// so that a table read back after an apply compares equal to what was applied.
/// </summary>
internal static class KernelReadback
{
    /// <summary>
    /// Flags that say something about the spec. HASHED is kernel-owned and set in every dump; PERSISTENT is
    /// implied by the persistence timeout, which is compared on its own.
    /// </summary>
    public static ServiceFlags SpecFlags(ServiceFlags flags) => flags & ~(ServiceFlags.Hashed | ServiceFlags.Persistent);

    /// <summary>The persistence prefix length, with "not given" meaning host (/32 or /128) as the kernel's default netmask does.</summary>
    public static int PrefixLength(VirtualServiceSpec spec, AddressFamily family) =>
        spec.NetmaskPrefixLength ?? IpvsNames.HostPrefixLength(family);

    public static string? PersistenceEngine(VirtualServiceSpec spec) =>
        string.IsNullOrEmpty(spec.PersistenceEngine) ? null : spec.PersistenceEngine;

    /// <summary>
    /// Whether a destination the kernel reports with <paramref name="actual"/> forwarding already does what
    /// <paramref name="desired"/> asks. Some kernels replace the forwarding method of a destination on a local
    /// address with IP_VS_CONN_F_LOCALNODE whatever was asked for, so a Local readback matches any request
    /// (asking again would change nothing and the plan would never settle).
    /// </summary>
    public static bool ForwardMatches(ForwardMethod desired, ForwardMethod actual) =>
        actual == desired || actual == ForwardMethod.Local;

    /// <summary>The forwarding method a readback stands for in the state file: Local was asked for as NAT or something else, and NAT is the default.</summary>
    public static ForwardMethod RequestedForward(ForwardMethod actual) =>
        actual == ForwardMethod.Local ? ForwardMethod.Nat : actual;
}
