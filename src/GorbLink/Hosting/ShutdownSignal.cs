using System.Runtime.InteropServices;

namespace GorbLink.Hosting;

/// <summary>
/// SIGTERM, SIGINT and SIGQUIT as a cancellation, from the moment this exists. The web host registers its own handlers
/// only once it listens; a signal before that (while the sync daemons are started, or the kernel state adopted) would
/// otherwise end the process at once, without the cleanup that stops the daemons GorbLink started.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stopping;
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignal(CancellationToken outer)
    {
        _stopping = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _registrations = [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT }.Select(s => PosixSignalRegistration.Create(s, Handle))];
    }

    /// <summary>Cancelled by the first of those signals (or by the caller's token).</summary>
    public CancellationToken Token => _stopping.Token;

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // the process ends when the command returns, after its cleanup
        _stopping.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stopping.Dispose();
    }
}
