using System.Text;

namespace GorbLink.Testing;

/// <summary>For tests that play an HTTP server on a bare socket: the request head, read up to its blank line.</summary>
public static class RawHttp
{
    /// <summary>The request line and headers; null when the peer closed before the blank line.</summary>
    public static async Task<string?> ReadRequestHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, cancellationToken);
            if (n == 0) return null;
            seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return seen.ToString();
    }
}
