using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GorbLink.Docker.Tests.Support;

/// <summary>Keeps every log entry (level, event id, message) and also writes it to the test's output.</summary>
public sealed class RecordingLogger<T>(ITestOutputHelper? output) : ILogger<T>
{
    private readonly TestOutputLogger<T> _output = new(output);

    public ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Entries.Enqueue((logLevel, eventId, formatter(state, exception)));
        _output.Log(logLevel, eventId, state, exception, formatter);
    }
}
