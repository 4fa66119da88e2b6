using Microsoft.Extensions.Logging;

namespace GorbLink.Core.Tests.Reconcile;

internal sealed record LogEntry(LogLevel Level, int EventId, string Message);

/// <summary>Keeps every log entry, so tests can count lines by event id.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly Lock _gate = new();
    private readonly List<LogEntry> _entries = [];

    public IReadOnlyList<LogEntry> Entries { get { lock (_gate) return [.. _entries]; } }

    public IReadOnlyList<LogEntry> WithEvent(int eventId) => [.. Entries.Where(e => e.EventId == eventId)];

    public void Clear() { lock (_gate) _entries.Clear(); }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_gate) _entries.Add(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));
    }
}
