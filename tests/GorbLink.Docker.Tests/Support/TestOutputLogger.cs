using Microsoft.Extensions.Logging;

namespace GorbLink.Docker.Tests.Support;

/// <summary>Writes log lines to the current test's output (ignored once the test has finished).</summary>
public sealed class TestOutputLogger<T> : ILogger<T>
{
    private readonly ITestOutputHelper? _output;
    private readonly TimeProvider _time;
    private readonly LogLevel _minimum;

    public TestOutputLogger(ITestOutputHelper? output, TimeProvider? time = null, LogLevel minimum = LogLevel.Debug)
    {
        _output = output;
        _time = time ?? TimeProvider.System;
        _minimum = minimum;
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= _minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel) || _output is null) return;
        var line = $"{_time.GetUtcNow():HH:mm:ss.fff} {logLevel,-11} [{eventId.Id}] {typeof(T).Name}: {formatter(state, exception)}";
        if (exception is not null) line += $" | {exception.GetType().Name}: {exception.Message}";
        try
        {
            _output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // the test is over
        }
    }
}
