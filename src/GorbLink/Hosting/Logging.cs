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
        // The library's own chatter (HttpClient, hosting lifetime) stays at warnings unless verbose.
        config.AddRule(verbose ? NLog.LogLevel.Debug : NLog.LogLevel.Warn, NLog.LogLevel.Fatal, target, "Microsoft.*", final: true);
        config.AddRule(verbose ? NLog.LogLevel.Debug : NLog.LogLevel.Warn, NLog.LogLevel.Fatal, target, "System.*", final: true);
        config.AddRule(minimum, NLog.LogLevel.Fatal, target);
        return config;
    }

    /// <summary>One JSON object per line; message-template properties become keys; the event id is stable per message kind.</summary>
    private static JsonLayout JsonLines()
    {
        var json = new JsonLayout { IncludeEventProperties = true, IncludeScopeProperties = false, SuppressSpaces = true };
        json.Attributes.Add(new JsonAttribute("ts", "${date:format=o:universalTime=true}"));
        json.Attributes.Add(new JsonAttribute("level", "${level:uppercase=true}"));
        json.Attributes.Add(new JsonAttribute("logger", "${logger:shortName=true}"));
        json.Attributes.Add(new JsonAttribute("eventId", "${event-properties:EventId_Id:whenEmpty=0}") { Encode = false });
        json.Attributes.Add(new JsonAttribute("event", "${event-properties:EventId_Name}"));
        json.Attributes.Add(new JsonAttribute("msg", "${message}"));
        json.Attributes.Add(new JsonAttribute("exception", "${exception:format=tostring}"));
        return json;
    }
}
