using GorbLink.Core.Pipeline;
using GorbLink.Core.Reconcile;
using Microsoft.Extensions.Logging;

namespace GorbLink.Remote.Server;

/// <summary>One kernel pass over serve's desired state: the revision it reflects, and its result or the exception that ended it.</summary>
internal sealed record ServePass(long Revision, ReconcileResult? Result, Exception? Failure);

/// <summary>
/// Level-triggered loop of `serve`: a pass of the agent's own <see cref="Reconciler"/> (planner, ownership file, one
/// batch) whenever the desired state changes, when the reconciler asks (retries), and every
/// <see cref="ServeOptions.ResyncInterval"/> anyway, so that a service someone flushed from the kernel comes back.
/// A pass that fails as a whole is retried with doubling backoff and logged once until it recovers.
/// </summary>
/// <remarks>Small and on its own on purpose: the generic pipeline loop replaces it.</remarks>
internal sealed class ServeKernelLoop(
    Reconciler reconciler, IDesiredStateSource source, ServeOptions options, ILogger logger, TimeProvider time) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<(long Revision, TaskCompletionSource<ServePass> Done)> _waiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private ServePass? _last;
    private Task _running = Task.CompletedTask;

    public void Start() => _running = RunAsync(_stopping.Token);

    /// <summary>Completes with the first pass that includes <paramref name="revision"/> of the desired state.</summary>
    public Task<ServePass> WaitForPassAsync(long revision)
    {
        lock (_lock)
        {
            if (_last is { } last && last.Revision >= revision) return Task.FromResult(last);
            if (_stopping.IsCancellationRequested) return Task.FromException<ServePass>(new OperationCanceledException("serve is stopping"));
            var done = new TaskCompletionSource<ServePass>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((revision, done));
            return done.Task;
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        DesiredSnapshot? previous = null;
        var backoff = options.RetryMinimum;
        var failing = false;
        try
        {
            while (true)
            {
                var snapshot = source.Build(previous);
                previous = snapshot;
                TimeSpan wait;
                try
                {
                    var result = await reconciler.ReconcileAsync(snapshot.State, cancellationToken).ConfigureAwait(false);
                    Publish(new ServePass(snapshot.Revision, result, null));
                    if (failing) Log.PassRecovered(logger);
                    failing = false;
                    backoff = options.RetryMinimum;
                    wait = result.NextWakeUp is { } next ? Clamp(next - time.GetUtcNow()) : options.ResyncInterval;
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    Publish(new ServePass(snapshot.Revision, null, e));
                    if (!failing) Log.PassFailed(logger, e.Message, backoff.TotalSeconds);
                    failing = true;
                    wait = backoff;
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.RetryMaximum.Ticks));
                }
                // A change ends the wait at once (a request waits for its pass), whatever the backoff.
                using var woken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var changed = source.WaitForChangeAsync(snapshot.Revision, woken.Token);
                var timer = Task.Delay(wait, time, woken.Token);
                await Task.WhenAny(changed, timer).ConfigureAwait(false);
                await woken.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            List<TaskCompletionSource<ServePass>> left;
            lock (_lock)
            {
                left = [.. _waiters.Select(w => w.Done)];
                _waiters.Clear();
            }
            foreach (var done in left) done.TrySetException(new OperationCanceledException("serve is stopping"));
        }
    }

    private TimeSpan Clamp(TimeSpan wait) =>
        wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < options.ResyncInterval ? wait : options.ResyncInterval;

    private void Publish(ServePass pass)
    {
        List<TaskCompletionSource<ServePass>> done = [];
        lock (_lock)
        {
            _last = pass;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Revision > pass.Revision) continue;
                done.Add(_waiters[i].Done);
                _waiters.RemoveAt(i);
            }
        }
        foreach (var waiter in done) waiter.TrySetResult(pass);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _stopping.Dispose();
    }
}
