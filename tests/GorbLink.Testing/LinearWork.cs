namespace GorbLink.Testing;

/// <summary>
/// Linearity measured as work rather than time: the bytes a step allocates on the calling thread for n items and for
/// 2n. The count does not depend on the machine or on its load, so a check of it cannot flake; linear work allocates
/// about twice as much for twice the items, work that copies what it has built so far once per item four times.
/// Allocation-free work (a list scan) is not seen here: its figures, per doubling, are bench/GorbLink.Bench `ports`.
/// </summary>
public static class LinearWork
{
    /// <summary>Bytes allocated by <paramref name="step"/>(2n) over those of <paramref name="step"/>(n); each runs once unmeasured first (static initialisation).</summary>
    /// <param name="step">Makes the action for a size; what it builds before returning the action is not counted.</param>
    public static double DoublingRatio(Func<int, Action> step, int n)
    {
        ArgumentNullException.ThrowIfNull(step);
        var small = step(n);
        var large = step(2 * n);
        small();
        return (double)Allocated(large) / Allocated(small);
    }

    private static long Allocated(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
