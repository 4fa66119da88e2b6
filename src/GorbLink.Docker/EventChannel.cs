using System.Threading.Channels;
using GorbLink.Docker.Engine;

namespace GorbLink.Docker;

/// <summary>One unit of work for the watcher's single consumer: an event, or a request for a full resync.</summary>
internal readonly record struct WatcherWork(DockerEvent? Event)
{
    public static readonly WatcherWork Resync = new(null);
    public bool IsResync => Event is null;
}

/// <summary>Why the event stream's session ended (normal completion included: the daemon closed the body).</summary>
internal sealed class EventStreamEndedException : Exception
{
    public EventStreamEndedException(Exception? cause)
        : base(cause is null ? "Docker closed the event stream" : $"Docker event stream failed: {cause.GetType().Name}: {cause.Message}", cause)
    {
    }
}

/// <summary>
/// Writes each event into the session's channel, in the order the stream delivers them, on the reading task.
/// Never blocks the reading loop: when the channel is full it records an overflow instead, and the consumer does a
/// full resync (Docker itself drops events for a subscriber that does not accept them within 100 ms).
/// </summary>
internal sealed class EventQueueWriter
{
    private readonly ChannelWriter<WatcherWork> _writer;
    private int _overflowed;
    private long _received;

    public EventQueueWriter(ChannelWriter<WatcherWork> writer)
    {
        _writer = writer;
    }

    public long Received => Interlocked.Read(ref _received);

    public void Report(DockerEvent value)
    {
        Interlocked.Increment(ref _received);
        if (!_writer.TryWrite(new WatcherWork(value))) MarkOverflow();
    }

    public void MarkOverflow() => Volatile.Write(ref _overflowed, 1);

    /// <summary>True (once) if something was dropped since the last call.</summary>
    public bool TakeOverflow() => Interlocked.Exchange(ref _overflowed, 0) == 1;
}

/// <summary>Exponential reconnect delay with "equal jitter": half fixed, half random, capped.</summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;
    private int _attempt;

    public ReconnectBackoff(TimeSpan initial, TimeSpan max, Func<double> random)
    {
        _initial = initial <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : initial;
        _max = max < _initial ? _initial : max;
        _random = random;
    }

    public int Attempt => _attempt;

    /// <summary>The delay before the next attempt: in [c/2, c] where c = min(max, initial · 2^attempt).</summary>
    public TimeSpan Next()
    {
        var factor = Math.Pow(2, Math.Min(_attempt, 30));
        var ceiling = Math.Min(_max.Ticks, _initial.Ticks * factor);
        _attempt++;
        var jittered = ceiling / 2 + _random() * ceiling / 2;
        return TimeSpan.FromTicks((long)jittered);
    }

    public void Reset() => _attempt = 0;
}
