using GorbLink.Core.Containers;
using GorbLink.Core.Desired;
using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Client;

/// <summary>
/// Remote mode: the pipeline (<see cref="PipelineLoop"/>) over the container store, and one sink per daemon
/// (<see cref="RemoteDaemon"/>: typed client over a named HttpClient with the standard resilience handler and its own
/// circuit breaker, ownership file and <see cref="SinkRunner"/>). With --local the kernel's sink joins the same pipeline:
/// one loop, one source, one build per change, each sink with its own default VIP. The Docker side, the desired-state
/// builder and the loop are the same as for the kernel; only the sinks differ.
/// </summary>
public sealed class RemoteAgent
{
    private readonly RemoteOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _statusGate = new();

    private RemoteAgent(PipelineLoop pipeline, RemoteDesiredStates states, IReadOnlyList<RemoteDaemon> daemons,
        RemoteOptions options, ILogger logger, TimeProvider time)
    {
        Pipeline = pipeline;
        States = states;
        Daemons = daemons;
        _options = options;
        _logger = logger;
        _time = time;
        foreach (var daemon in daemons) daemon.Runner.Passes.Published += _ => WriteStatus();
    }

    public PipelineLoop Pipeline { get; }
    public RemoteDesiredStates States { get; }
    public IReadOnlyList<RemoteDaemon> Daemons { get; }
    public RemoteOptions Options => _options;

    /// <summary>
    /// Builds everything over the daemon clients registered by
    /// <see cref="RemoteServiceCollectionExtensions.AddGorbDaemonClients"/>; no I/O (ownership files are read on each
    /// daemon's first pass).
    /// </summary>
    /// <param name="local">This host's kernel sink (--local): its runner comes first in the one pipeline, and its report
    /// logs the containers' label problems (<see cref="RemoteOptions.ReportContainerProblems"/> is then off).</param>
    public static RemoteAgent Create(
        ContainerStore store,
        LabelOptions labels,
        RemoteOptions options,
        ILoggerFactory loggerFactory,
        IHttpClientFactory httpClients,
        RemoteDaemonClients clients,
        TimeProvider? time = null,
        PipelineSink? local = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(httpClients);
        ArgumentNullException.ThrowIfNull(clients);
        if (options.Endpoints.Count == 0) throw new ArgumentException("remote mode needs at least one daemon", nameof(options));
        time ??= TimeProvider.System;
        var logger = loggerFactory.CreateLogger("GorbLink.Remote");
        var breakers = clients.Breakers;

        var states = new RemoteDesiredStates(options.ReportContainerProblems, logger);
        var daemons = new List<RemoteDaemon>(breakers.Count);
        var runners = new List<SinkRunner>(breakers.Count + 1);
        if (local is not null) runners.Add(local.Runner);
        foreach (var (endpoint, breaker) in breakers)
        {
            var client = new GorbClient(httpClients.CreateClient(RemoteDaemonClients.ClientName(endpoint)), endpoint);
            var ownership = new RemoteOwnership(options.OwnershipPath(endpoint), endpoint.Name);
            var reconciler = new RemoteReconciler(client, ownership, logger, time, options.DryRun);
            var daemon = new RemoteDaemon(endpoint, client, reconciler, states, breaker, options, logger, time);
            daemons.Add(daemon);
            runners.Add(daemon.Runner);
        }
        // The builder does not choose the default VIP: each sink does (the daemons' own default address, the kernel's interface address).
        var source = new ContainerDesiredStateSource(store, new DesiredStateBuilder(labels));
        IDesiredStateReport report = local?.Report is { } kernelReport ? new DesiredStateReports([kernelReport, states]) : states;
        var pipeline = new PipelineLoop(source, runners, new PipelineLoopOptions { CoalesceDelay = options.CoalesceDelay }, report, time);
        return new RemoteAgent(pipeline, states, daemons, options, logger, time);
    }

    /// <summary>Runs the pipeline and every daemon's sink until cancelled. A fatal error (ownership file) ends it all.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Pipeline.RunAsync(cancellationToken);

    /// <summary>--cleanup-on-exit: on every daemon, delete the backends this agent created, then its services left empty.</summary>
    public async Task<IReadOnlyList<string>> CleanupAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var daemon in Daemons)
        {
            try
            {
                var result = await daemon.Reconciler.ReconcileAsync(RemoteDesiredState.Empty, cancellationToken).ConfigureAwait(false);
                problems.AddRange(result.Failures.Select(f => $"{daemon.Endpoint}: {f}"));
            }
            catch (Exception e) when (e is RemoteUnavailableException or RemoteOwnershipException)
            {
                problems.Add(e.Message);
            }
        }
        return problems;
    }

    public RemoteStatusDocument Status
    {
        get
        {
            var desired = States.Latest ?? RemoteDesiredState.Empty;
            return new RemoteStatusDocument
            {
                Written = _time.GetUtcNow(),
                DesiredRevision = desired.Revision,
                DesiredServices = desired.Services.Count,
                DesiredBackends = desired.BackendCount,
                NotSent = desired.Problems,
                Daemons = [.. Daemons.Select(d => d.Status)],
            };
        }
    }

    private void WriteStatus()
    {
        if (!_options.WriteStatus || _options.DryRun) return;
        lock (_statusGate)
        {
            try
            {
                RemoteStatusFile.Write(_options.StatusPath, Status);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.StatusWriteFailed(_logger, _options.StatusPath, e.Message);
            }
        }
    }

}
