namespace GorbLink.Docker.Engine;

/// <summary>
/// Brings the events of Docker-compatible engines to Docker's own words, once, where the stream is read; the watcher
/// and the mapper only know Docker's. What differs (field-lessons.md):
/// <list type="bullet">
/// <item>Podman sends <c>died</c> where Docker sends <c>die</c> (podman#12628, #16857).</item>
/// <item>Podman sends a bare <c>health_status</c> action with the value in the <c>health_status</c> attribute, on every
/// check (dozzle PR #5212, podman#24003); Docker sends <c>health_status: healthy</c> once per change.</item>
/// </list>
/// Docker API 1.52 dropped the top-level <c>status</c>, <c>id</c> and <c>from</c>: GorbLink never read them, only
/// <c>Action</c> and <c>Actor.ID</c>, which every version and Podman send.
/// </summary>
internal static class EventDialects
{
    public static DockerEvent ToDockerWords(DockerEvent evt)
    {
        switch (evt.Action)
        {
            case "died":
                return evt with { Action = "die" };
            case "health_status":
                string? status = null;
                evt.Actor?.Attributes?.TryGetValue("health_status", out status);
                return string.IsNullOrWhiteSpace(status) ? evt : evt with { Action = $"health_status: {status.Trim()}" };
            default:
                return evt;
        }
    }
}
