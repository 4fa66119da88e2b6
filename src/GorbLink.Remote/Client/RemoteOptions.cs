namespace GorbLink.Remote.Client;

/// <summary>Remote mode of `gorblink run -r`: which daemons, and how hard to try.</summary>
public sealed record RemoteOptions
{
    public required IReadOnlyList<RemoteEndpoint> Endpoints { get; init; }

    /// <summary>--remote-token: sent as "Authorization: Bearer ..." to every daemon.</summary>
    public string? Token { get; init; }

    /// <summary>Where the per-daemon ownership files and remote-status.json live (--state-dir).</summary>
    public required string StateDirectory { get; init; }

    /// <summary>A full read-and-reconcile of every daemon at least this often (--resync-interval).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Between full passes, GET /service this often; when a service this agent wants is missing (the daemon restarted
    /// and lost its state) or the daemon does not answer, a full pass runs at once.
    /// </summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Delay after the first failed pass; doubles with each further failure up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>When the daemon refused some writes, the next pass comes this soon.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After a container change, wait this long for more before recomputing the desired state.</summary>
    public TimeSpan CoalesceDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>--dry-run: log every write that would be made; make none.</summary>
    public bool DryRun { get; init; }

    /// <summary>Write remote-status.json after every pass.</summary>
    public bool WriteStatus { get; init; } = true;

    /// <summary>Log label errors and conflicts (set when no kernel reconcile loop runs to log them).</summary>
    public bool ReportContainerProblems { get; init; } = true;

    public RemoteResilienceOptions Resilience { get; init; } = new();

    public string StatusPath => Path.Combine(StateDirectory, RemoteStatusFile.FileName);

    public string OwnershipPath(RemoteEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Path.Combine(StateDirectory, endpoint.FileName);
    }
}

/// <summary>
/// The HTTP resilience pipeline of each daemon (Microsoft.Extensions.Http.Resilience's standard handler, tuned for a
/// control daemon that gets a few calls per second at most).
/// </summary>
public sealed record RemoteResilienceOptions
{
    /// <summary>One attempt (the library default; a daemon on the LAN answers in milliseconds, a cold one may not).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>One call with all its retries.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of GET, PUT and DELETE (idempotent); PATCH and POST are never retried.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>First retry delay; exponential with jitter after that.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The breaker opens when at least this many calls in <see cref="SamplingDuration"/> had at least
    /// <see cref="FailureRatio"/> failures. The library's default of 100 calls would never be reached by a control client.
    /// </summary>
    public int MinimumThroughput { get; init; } = 4;

    public double FailureRatio { get; init; } = 0.5;

    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open breaker fails calls fast before one trial call (half-open).</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);
}
