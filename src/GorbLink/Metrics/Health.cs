using System.Buffers;
using System.Text.Json;
using GorbLink.Core.Reconcile;

namespace GorbLink.Metrics;

/// <summary>
/// /healthz: healthy (200) when the Docker event stream is connected and the last reconcile pass succeeded (it read the
/// kernel's table and wrote to it); otherwise 503. Either way the JSON body says what was checked and what is wrong.
/// </summary>
internal static class Health
{
    public sealed record Report(bool Healthy, IReadOnlyList<string> Problems, byte[] Json);

    public static Report Check(IAgentProbe probe)
    {
        var docker = probe.Docker;
        var reconcile = probe.Reconcile;
        var state = probe.LoopState;
        var problems = new List<string>();
        if (!docker.Connected)
        {
            problems.Add(docker.LastError is { } error
                ? $"docker: not connected to {docker.Endpoint}: {error}"
                : $"docker: not connected to {docker.Endpoint} yet");
        }
        if (state == ReconcileLoopState.Stopped)
            problems.Add("reconcile: the loop has stopped");
        else if (reconcile.ConsecutiveFailures > 0)
            problems.Add($"reconcile: the last {reconcile.ConsecutiveFailures} passes failed: {reconcile.LastError}");
        else if (!probe.FirstPassDone)
            problems.Add($"reconcile: no pass has completed yet ({Words(state)})");

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("status", problems.Count == 0 ? "ok" : "unhealthy");
            json.WriteStartArray("problems");
            foreach (var problem in problems) json.WriteStringValue(problem);
            json.WriteEndArray();

            json.WriteStartObject("docker");
            json.WriteBoolean("connected", docker.Connected);
            json.WriteString("endpoint", docker.Endpoint.ToString());
            WriteOptional(json, "engineVersion", docker.EngineVersion);
            WriteOptional(json, "apiVersion", docker.ApiVersion);
            json.WriteNumber("reconnects", docker.ReconnectCount);
            WriteOptional(json, "connectedSince", docker.ConnectedSince);
            WriteOptional(json, "lastError", docker.LastError);
            WriteOptional(json, "lastErrorAt", docker.LastErrorAt);
            json.WriteEndObject();

            json.WriteStartObject("reconcile");
            json.WriteString("state", Words(state));
            json.WriteNumber("passes", reconcile.Passes);
            json.WriteNumber("failedPasses", reconcile.FailedPasses);
            json.WriteNumber("consecutiveFailures", reconcile.ConsecutiveFailures);
            json.WriteNumber("lastDurationMs", Math.Round(reconcile.LastDuration.TotalMilliseconds, 3));
            WriteOptional(json, "lastPassAt", reconcile.LastPassAt);
            WriteOptional(json, "lastError", reconcile.LastError);
            WriteOptional(json, "lastErrorAt", reconcile.LastErrorAt);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return new Report(problems.Count == 0, problems, buffer.WrittenSpan.ToArray());
    }

    private static string Words(ReconcileLoopState state) => state switch
    {
        ReconcileLoopState.NotStarted => "not started",
        ReconcileLoopState.WaitingForContainers => "waiting for the initial container list",
        ReconcileLoopState.BackingOff => "backing off after a failure",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } v) json.WriteString(name, v);
        else json.WriteNull(name);
    }
}
