using System.Text;

namespace GorbLink.Remote.Client;

/// <summary>
/// One GORB control daemon, as given to -r: "host:port" (http:// assumed, as gorb-docker-link does), or a full
/// http:// or https:// URL. The name is what logs and status show; the file name keys its ownership file.
/// </summary>
public sealed record RemoteEndpoint
{
    private RemoteEndpoint(string name, Uri baseAddress)
    {
        Name = name;
        BaseAddress = baseAddress;
    }

    /// <summary>The daemon as the user wrote it, less a trailing '/'.</summary>
    public string Name { get; }

    /// <summary>Base URL ending in '/'; requests go to service/... relative to it.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Parses -r's value; throws <see cref="ArgumentException"/> with a message naming it.</summary>
    public static RemoteEndpoint Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("-r/--remote: empty daemon address (expected host:port)", nameof(text));
        var trimmed = text.Trim().TrimEnd('/');
        var withScheme = trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "http://" + trimmed;
        if (!Uri.TryCreate(withScheme + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"-r/--remote: \"{text}\" is not host:port, http://host:port or https://host:port", nameof(text));
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw new ArgumentException($"-r/--remote: \"{text}\" must not have a query or fragment", nameof(text));
        return new RemoteEndpoint(trimmed, uri);
    }

    /// <summary>
    /// The per-daemon ownership file's name: remote-&lt;host&gt;_&lt;port&gt;[-path].json, with anything but letters, digits,
    /// '.', '-' and '_' replaced by '_'.
    /// </summary>
    public string FileName
    {
        get
        {
            var text = new StringBuilder("remote-");
            if (BaseAddress.Scheme == "https") text.Append("https-");
            text.Append(BaseAddress.Host.Trim('[', ']')).Append('_').Append(BaseAddress.Port);
            var path = BaseAddress.AbsolutePath.Trim('/');
            if (path.Length > 0) text.Append('-').Append(path);
            for (var i = "remote-".Length; i < text.Length; i++)
            {
                var c = text[i];
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')) text[i] = '_';
            }
            return text.Append(".json").ToString();
        }
    }

    public override string ToString() => Name;
}
