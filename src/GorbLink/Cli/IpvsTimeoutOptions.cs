using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using GorbLink.Ipvs;

namespace GorbLink.Cli;

/// <summary>
/// --ipvs-timeouts TCP,TCPFIN,UDP (or GORBLINK_IPVS_TIMEOUTS) of `run` and `serve`: the kernel's three IPVS connection
/// timeouts in seconds, as `ipvsadm --set` takes them. 0 keeps the kernel's current value. Off by default: the
/// timeouts are global to the network namespace, not per service, so GorbLink only changes them when told to.
/// </summary>
internal static class IpvsTimeoutOptions
{
    public const string Name = "--ipvs-timeouts";
    private const string EnvName = "IPVS_TIMEOUTS";

    /// <summary>
    /// The kernel multiplies each value by HZ (at most 1000) into an int of jiffies (ip_vs_set_timeout); a larger
    /// value would wrap there, so it is refused here. 2,147,483 s is about 24.8 days.
    /// </summary>
    public const uint MaxSeconds = int.MaxValue / 1000;

    public static Option<IpvsTimeouts?> Create() => new(Name)
    {
        Description = "Set IPVS's idle timeouts at start, in seconds: established TCP, TCP after FIN, UDP (e.g. 3600,120,300; " +
            "0 keeps the kernel's value). Host-wide; the kernel's defaults are 900,120,300",
        CustomParser = result => Parse(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, result, Name),
        DefaultValueFactory = result => RunCommand.Env(EnvName) is { } env ? Parse(env, result, "GORBLINK_" + EnvName) : null,
    };

    private static IpvsTimeouts? Parse(string? text, ArgumentResult result, string what)
    {
        if (TryParse(text, out var timeouts, out var error)) return timeouts;
        result.AddError($"{what}: \"{text}\" {error}");
        return null;
    }

    /// <summary>"TCP,TCPFIN,UDP": three whole numbers of seconds, 0 to <see cref="MaxSeconds"/>.</summary>
    /// <param name="error">Why the text was refused, phrased to follow the quoted text.</param>
    public static bool TryParse(string? text, out IpvsTimeouts timeouts, out string error)
    {
        timeouts = new IpvsTimeouts(0, 0, 0);
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3)
        {
            error = "is not TCP,TCPFIN,UDP: three numbers of seconds separated by commas (e.g. 3600,120,300; 0 keeps a value)";
            return false;
        }
        var values = new uint[3];
        string[] names = ["TCP", "TCPFIN", "UDP"];
        for (var i = 0; i < 3; i++)
        {
            if (!uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
            {
                error = $"has {names[i]} = \"{parts[i]}\", which is not a whole number of seconds (0 keeps the kernel's value)";
                return false;
            }
            if (values[i] > MaxSeconds)
            {
                error = $"has {names[i]} = {values[i]}, more than the kernel can hold ({MaxSeconds} s)";
                return false;
            }
        }
        timeouts = new IpvsTimeouts(values[0], values[1], values[2]);
        error = "";
        return true;
    }
}
