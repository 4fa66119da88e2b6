using System.Globalization;

namespace GorbLink.Docker;

/// <summary>The Docker Engine API versions GorbLink speaks, and the negotiation rule.</summary>
public static class DockerApiVersions
{
    /// <summary>Oldest engine API we work against: Engine 20.10 (Debian bookworm's docker.io).</summary>
    public static readonly Version Minimum = new(1, 41);

    /// <summary>The newest API whose answers our models were checked against: Engine 29.4 (the fields read are unchanged since 1.41).</summary>
    public static readonly Version Maximum = new(1, 54);

    /// <summary>
    /// min(engine max, <see cref="Maximum"/>); refuses an engine whose max is below <see cref="Minimum"/>,
    /// and one whose own minimum is above what we can speak.
    /// </summary>
    /// <param name="engineVersion">The engine's product version, for messages ("26.1.5").</param>
    /// <param name="engineApiVersion"><c>ApiVersion</c> of an unversioned <c>GET /version</c>.</param>
    /// <param name="engineMinApiVersion"><c>MinAPIVersion</c> of the same response; absent on very old engines.</param>
    public static Version Negotiate(string engineVersion, string? engineApiVersion, string? engineMinApiVersion)
    {
        var max = ParseApiVersion(engineApiVersion)
                  ?? throw new FormatException($"Docker Engine {engineVersion} reported no usable API version ('{engineApiVersion}').");
        var min = ParseApiVersion(engineMinApiVersion) ?? new Version(1, 12);
        if (max < Minimum) throw new DockerApiTooOldException(engineVersion, max, min);
        var chosen = max < Maximum ? max : Maximum;
        if (chosen < min) throw new DockerApiTooNewException(engineVersion, max, min);
        return chosen;
    }

    /// <summary>Parses "1.45" into a two-part version; null when absent or malformed.</summary>
    public static Version? ParseApiVersion(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var parts = value.Trim().Split('.');
        if (parts.Length != 2) return null;
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)) return null;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)) return null;
        return new Version(major, minor);
    }
}
