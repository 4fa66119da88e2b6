using GorbLink.Core.Labels;
using GorbLink.Core.Pipeline;
using GorbLink.Core.Reconcile;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

/// <summary>
/// serve on the one pipeline: <see cref="ServeState"/> is the source, this host's kernel (<see cref="KernelSink"/>,
/// the agent's reconciler over serve's own ownership file) the only sink, driven by its <see cref="SinkRunner"/>. A pass
/// runs whenever the desired state changes, when the reconciler asks (retries), and every
/// <see cref="ServeOptions.ResyncInterval"/> anyway, so that a service someone flushed from the kernel comes back. A
/// pass that fails as a whole is retried with doubling backoff, cut short by the next request (which waits for its
/// pass), and logged once until it recovers, in serve's own events.
/// </summary>
internal sealed class ServePipeline : IAsyncDisposable
{
    private readonly PipelineLoop _pipeline;
    private readonly SinkRunner _runner;
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;

    public ServePipeline(Reconciler reconciler, ServeState source, ServeOptions options, ILogger logger, TimeProvider time)
    {
        _runner = new SinkRunner(new DecidedStateSink(new KernelSink(reconciler, logger), source), new SinkRunnerOptions
        {
            ResyncInterval = options.ResyncInterval,
            InitialBackoff = options.RetryMinimum,
            MaxBackoff = options.RetryMaximum,
            NewerStateEndsBackoff = true,
        }, new ServeRunnerLog(logger), time);
        // No coalescing: requests are serialised and each waits for its own pass.
        _pipeline = new PipelineLoop(source, [_runner], new PipelineLoopOptions { CoalesceDelay = TimeSpan.Zero }, report: null, time);
    }

    public void Start() => _running = RunAsync(_stopping.Token);

    /// <summary>Completes with the first kernel pass that includes <paramref name="revision"/> of serve's state.</summary>
    /// <exception cref="OperationCanceledException">serve is stopping.</exception>
    public async Task<SinkPass> WaitForPassAsync(long revision)
    {
        try
        {
            return await _runner.Passes.WaitForRevisionAsync(revision).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw new OperationCanceledException("serve is stopping", e);
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Only a fatal failure ends the pipeline early, and the runner has logged it (ServeRunnerLog.Fatal);
            // requests from now on are answered "serve is stopping".
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>
    /// The kernel sink, applying only what requests decided: a retry of a failed or refused pass (the runner's backoff,
    /// the reconciler's wake-up) waits until the request of that pass has kept or taken back its change, and then
    /// applies serve's state as it is. Without this, a retry that came before the take-back applied the change anyway
    /// (a service deleted from the kernel and created again, though the request was answered "nothing was changed";
    /// found by the REST fuzz target).
    /// </summary>
    private sealed class DecidedStateSink(IStateSink kernel, ServeState source) : IStateSink
    {
        public string Name => kernel.Name;

        public DefaultVip DefaultVip => kernel.DefaultVip;

        public async Task<SinkPassOutcome> ApplyAsync(DesiredSnapshot desired, CancellationToken cancellationToken)
        {
            if (await source.WaitIfUndecidedAsync(desired.Revision, cancellationToken).ConfigureAwait(false)) desired = source.Build(desired, [DefaultVip]);
            return await kernel.ApplyAsync(desired, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The kernel runner's reports in serve's event ids: a failure once until it recovers (5118), the recovery (5119).</summary>
    private sealed class ServeRunnerLog(ILogger logger) : ISinkRunnerLog
    {
        public void FirstPass(DesiredSnapshot desired, SinkPassOutcome outcome)
        {
        }

        public void PassFailed(Exception exception, int failuresInRow, TimeSpan retryIn)
        {
            if (failuresInRow == 1) Log.PassFailed(logger, exception.Message, retryIn.TotalSeconds);
        }

        public void Recovered(int failuresInRow) => Log.PassRecovered(logger);

        public void Fatal(Exception exception) => Log.PassStopped(logger, exception.Message);
    }
}
