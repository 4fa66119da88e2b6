namespace GorbLink.Core.Labels;

/// <summary>
/// The one rule for virtual-service names, wherever a name comes from (the service label or the default made from
/// compose labels, the image or the container name): 1..255 characters, no spaces, quotes or control characters,
/// because names appear quoted in logs and as GORB service ids.
/// </summary>
public static class ServiceNames
{
    public const int MaxLength = 255;

    /// <summary>Why <paramref name="name"/> is not a usable service name, or null when it is.</summary>
    public static string? Problem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) return "empty service name";
        if (name.Length > MaxLength) return $"longer than {MaxLength} characters";
        foreach (var ch in name)
        {
            if (char.IsWhiteSpace(ch) || char.IsControl(ch) || ch == '"')
                return "a service name must not contain spaces, quotes or control characters";
        }
        return null;
    }
}
