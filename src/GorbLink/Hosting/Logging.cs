using GorbLink.Cli;
using NLog;
using NLog.Config;
using NLog.Layouts;
using NLog.Targets;

namespace GorbLink.Hosting;

/// <summary>NLog behind Microsoft.Extensions.Logging, configured in code (no NLog.config, so trimming stays exact).</summary>
internal static class Logging
{
    public static LoggingConfiguration Configure(LogFormat format, bool verbose)
    {
        Layout layout = format == LogFormat.Json ? JsonLines() : new SimpleLayout(
            "${date:format=yyyy-MM-ddTHH\\:mm\\:ss.fffZ:universalTime=true} ${level:uppercase=true:padding=-5} ${message}${onexception:inner= ${exception:format=message}}");
        var config = new LoggingConfiguration();
        var target = new ConsoleTarget("console") { Layout = layout, StdErr = false, AutoFlush = true };
        var minimum = verbose ? NLog.LogLevel.Debug : NLog.LogLevel.Info;
        // The libraries' own chatter (HttpClient, hosting lifetime, Kestrel) stays at warnings unless verbose: their lines
        // below that end at a rule without a target (final), instead of falling through to the catch-all rule.
        if (!verbose)
        {
            foreach (var pattern in new[] { "Microsoft.*", "System.*" })
            {
                var quiet = new LoggingRule { LoggerNamePattern = pattern, Final = true };
                quiet.EnableLoggingForLevels(NLog.LogLevel.Trace, NLog.LogLevel.Info);
                config.LoggingRules.Add(quiet);
            }
        }
        config.AddRule(minimum, NLog.LogLevel.Fatal, target);
        return config;
    }

    /// <summary>One JSON object per line; message-template properties become keys; the event id is stable per message kind.</summary>
    private static JsonLayout JsonLines()
    {
        var json = new JsonLayout { IncludeEventProperties = true, IncludeScopeProperties = false, SuppressSpaces = true };
        // NLog.Extensions.Logging captures the EventId as the properties EventId and EventName: shown once, first.
        json.ExcludeProperties = new HashSet<string>(StringComparer.Ordinal) { "EventId", "EventName" };
        json.Attributes.Add(new JsonAttribute("ts", "${date:format=o:universalTime=true}"));
        json.Attributes.Add(new JsonAttribute("level", "${level:uppercase=true}"));
        json.Attributes.Add(new JsonAttribute("logger", "${logger:shortName=true}"));
        json.Attributes.Add(new JsonAttribute("eventId", "${event-properties:EventId:whenEmpty=0}") { Encode = false });
        json.Attributes.Add(new JsonAttribute("event", "${event-properties:EventName}"));
        json.Attributes.Add(new JsonAttribute("msg", "${message}"));
        json.Attributes.Add(new JsonAttribute("exception", "${exception:format=tostring}"));
        return json;
    }
}
