using System.Globalization;
using GorbLink.Netlink.Native;

namespace GorbLink.Netlink;

/// <summary>The places of a reconcile pass where the crash tests kill the process (see <see cref="CrashPoints"/>).</summary>
public enum CrashPoint
{
    /// <summary><c>write-ahead</c>: the ownership file lists the planned creates; nothing of the batch is sent yet.</summary>
    WriteAhead,

    /// <summary><c>batch-messages:K</c>: the kernel has done the first K messages of a batch of more than K; the rest are unsent.</summary>
    BatchMessages,

    /// <summary><c>after-batch</c>: the kernel has done the whole batch; the ownership file is not yet rewritten.</summary>
    AfterBatch,

    /// <summary><c>file-write</c>: half of a file's new content is in its temporary file; the rename has not happened.</summary>
    FileWrite,
}

/// <summary>When and where to crash: the point and K (the K-th time the point is reached, or K messages into a batch).</summary>
public sealed record CrashPlan(CrashPoint Point, int Count)
{
    private static readonly (string Name, CrashPoint Point)[] Names =
    [
        ("write-ahead", CrashPoint.WriteAhead),
        ("batch-messages", CrashPoint.BatchMessages),
        ("after-batch", CrashPoint.AfterBatch),
        ("file-write", CrashPoint.FileWrite),
    ];

    public static string Spellings => string.Join(", ", Names.Select(n => n.Name));

    public string Name => Names.First(n => n.Point == Point).Name;

    public override string ToString() => $"{Name}:{Count.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses <c>&lt;point&gt;[:&lt;k&gt;]</c> (K defaults to 1); null with <paramref name="error"/> naming the value when it is not one.</summary>
    public static CrashPlan? Parse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var found = Names.Where(n => n.Name == name).Select(n => (CrashPoint?)n.Point).FirstOrDefault();
        if (found is not { } point)
        {
            error = $"{CrashPoints.EnvironmentVariable}=\"{text}\": \"{name}\" is not a crash point (one of {Spellings})";
            return null;
        }
        var count = 1;
        if (colon >= 0 && !(int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out count) && count >= 1))
        {
            error = $"{CrashPoints.EnvironmentVariable}=\"{text}\": \"{text[(colon + 1)..]}\" is not a count of 1 or more";
            return null;
        }
        return new CrashPlan(point, count);
    }
}

/// <summary>
/// Test-only crash points: with <c>GORBLINK_CRASH_AT=&lt;point&gt;[:&lt;k&gt;]</c> in its environment the process sends
/// itself SIGKILL at that point of a pass (no cleanup, no flush: as a power cut or the OOM killer would leave it), so
/// that the crash-consistency tests can check what a restart makes of the kernel and the files. Without the variable
/// every check is a test of one static field that stays null.
/// </summary>
public static class CrashPoints
{
    public const string EnvironmentVariable = "GORBLINK_CRASH_AT";

    private static int s_reached;

    /// <summary>The plan from the environment; null when the variable is unset or invalid (see <see cref="EnvironmentError"/>).</summary>
    public static CrashPlan? Armed { get; } = FromEnvironment(out var error) is { } plan ? plan : Invalid(error);

    /// <summary>Why the variable was refused; null when it is unset or valid. The host reports it and exits 2.</summary>
    public static string? EnvironmentError { get; private set; }

    /// <summary>Kills the process when <paramref name="point"/> is the armed one and this is the K-th time it is reached.</summary>
    public static void Reached(CrashPoint point)
    {
        if (Armed is not { } plan || plan.Point != point || point == CrashPoint.BatchMessages) return;
        if (Interlocked.Increment(ref s_reached) == plan.Count) Kill(plan);
    }

    /// <summary>Where a batch of <paramref name="messages"/> must be cut for <c>batch-messages:K</c>: K when K &lt; messages, else null.</summary>
    public static int? BatchCut(int messages) =>
        Armed is { Point: CrashPoint.BatchMessages, Count: var k } && k < messages ? k : null;

    /// <summary>Kills the process now, for the armed plan (the batch has reached its cut).</summary>
    public static void Kill(CrashPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Console.Error.WriteLine($"crash point {plan}: SIGKILL");
        _ = LibC.Kill(Environment.ProcessId, LibC.SIGKILL);
        // SIGKILL to oneself is delivered before kill(2) returns; never carry on past a crash point.
        Environment.FailFast($"crash point {plan}: kill(2) returned");
    }

    private static CrashPlan? FromEnvironment(out string? error)
    {
        error = null;
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrEmpty(text) ? null : CrashPlan.Parse(text, out error);
    }

    private static CrashPlan? Invalid(string? error)
    {
        EnvironmentError = error;
        return null;
    }
}
