using GorbLink.Core.Containers;
using GorbLink.Ipvs;

namespace GorbLink.Core.Labels;

/// <summary>
/// Reads a container's labels (prefix "gorb" by default) into a <see cref="ContainerIntent"/>, checked against the
/// container's ports and networks, or into one <see cref="LabelError"/>. Pure: same container and options, same result.
/// The reading itself is <see cref="LabelReader"/>; single values are <see cref="LabelValues"/>, port lists
/// <see cref="PortLists"/>, the container's ports <see cref="ContainerPortIndex"/>.
/// </summary>
/// <remarks>
/// Rules beyond the label table:
/// <list type="bullet">
/// <item>Label names are matched case-insensitively; an unknown name under the prefix (e.g. gorb.schedular) is an
/// error, with a suggestion, so a typo never silently falls back to a default. The same name in two spellings is an error.</item>
/// <item>enable takes true/false/1/0. A container counts as explicitly enrolled when it says enable=true or carries
/// any label under the prefix. With --expose-by-default, a container that is not explicitly enrolled and has no port
/// to offer is ignored rather than reported.</item>
/// <item>service: the rules of <see cref="ServiceNames"/>. Its default is "&lt;project&gt;-&lt;service&gt;" from the
/// compose labels, else the image repository (registry and path kept, tag and digest dropped), else, for an image
/// given by id, the container name; a default that breaks the rules is an error naming the label it came from.</item>
/// <item>vip: strict syntax (four dotted decimals, or IPv6 without zone); unspecified, broadcast and multicast refused.</item>
/// <item>Default ports: published mode takes every published container port; container mode every exposed or
/// published port; host network mode (published backend, address = the --interface address) every exposed port.
/// Explicit ports must be published (published mode) or exposed or published (container mode); host network mode
/// takes them as they are. A virtual port/protocol may appear once.</item>
/// <item>A binding on 0.0.0.0 stands for the interface's first IPv4 address and :: for its first non-link-local
/// IPv6 address (none: the binding is skipped); a binding feeds only a VIP of its own family; equal bindings merge.</item>
/// <item>network is only valid with backend=container; container mode refuses host and container:&lt;id&gt; network modes.</item>
/// <item>dr and tunnel forward packets unchanged, so the destination port must equal the virtual port.</item>
/// <item>persistence 0 means not persistent; at most 4294967 s (see <see cref="MaxPersistence"/>). Flags never set
/// <see cref="ServiceFlags.Persistent"/>: the timeout carries persistence.</item>
/// <item>Every step is linear in the number of ports and bindings: a container may publish all 65535 ports.</item>
/// </list>
/// </remarks>
public static class ContainerLabels
{
    public const string Enable = "enable";
    public const string Service = "service";
    public const string Vip = "vip";
    public const string Ports = "ports";
    public const string Scheduler = "scheduler";
    public const string Forward = "forward";
    public const string Weight = "weight";
    public const string Persistence = "persistence";
    public const string Flags = "flags";
    public const string Backend = "backend";
    public const string Network = "network";

    /// <summary>Label names after the prefix, in the order they are checked.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [Enable, Service, Vip, Ports, Scheduler, Forward, Weight, Persistence, Flags, Backend, Network];

    public const string ComposeProjectLabel = "com.docker.compose.project";
    public const string ComposeServiceLabel = "com.docker.compose.service";

    public const string DefaultScheduler = IpvsNames.DefaultScheduler;
    public const int DefaultWeight = 100;
    public const int MaxWeight = 65535;
    /// <summary>ip_vs_ctl.c stores the persistence timeout as timeout * HZ in an unsigned int; with HZ=1000 larger values wrap.</summary>
    public const uint MaxPersistence = uint.MaxValue / 1000;
    public const int MaxServiceNameLength = ServiceNames.MaxLength;

    /// <summary>Reads one container. Never throws for bad labels: they become <see cref="LabelParseResult.Error"/>.</summary>
    public static LabelParseResult Parse(ContainerRecord container, LabelOptions options)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(options);
        return new LabelReader(container, options).Read();
    }

    /// <summary>The full label name, e.g. "gorb.scheduler".</summary>
    public static string LabelName(LabelOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Prefix + "." + name;
    }

    /// <summary>Default service name: "&lt;project&gt;-&lt;service&gt;" from compose labels, else the image repository.</summary>
    public static string DefaultServiceName(ContainerRecord container)
    {
        ArgumentNullException.ThrowIfNull(container);
        return ComposeServiceName(container) ?? ImageRepository(container.Image) ?? container.Name;
    }

    /// <summary>"&lt;project&gt;-&lt;service&gt;" when both compose labels say something, else null.</summary>
    internal static string? ComposeServiceName(ContainerRecord container) =>
        container.Labels.TryGetValue(ComposeProjectLabel, out var project) &&
        container.Labels.TryGetValue(ComposeServiceLabel, out var service) &&
        !string.IsNullOrWhiteSpace(project) && !string.IsNullOrWhiteSpace(service)
            ? project.Trim() + "-" + service.Trim()
            : null;

    /// <summary>
    /// The repository of an image reference, without tag and digest, keeping registry and path:
    /// "registry:5000/team/app:1.2@sha256:…" → "registry:5000/team/app". Null for an image id ("sha256:…") or nothing.
    /// </summary>
    public static string? ImageRepository(string? image)
    {
        if (string.IsNullOrWhiteSpace(image)) return null;
        var text = image.Trim();
        if (text.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase)) return null;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0) text = text[..at];
        var slash = text.LastIndexOf('/');
        var colon = text.LastIndexOf(':');
        if (colon > slash) text = text[..colon];
        return text.Length == 0 ? null : text;
    }
}
