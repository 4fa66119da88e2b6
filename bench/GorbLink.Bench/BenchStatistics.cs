using System.Diagnostics;

namespace GorbLink.Bench;

/// <summary>What every benchmark here prints with its figures: percentiles of its samples, and whether the build was optimized.</summary>
internal static class BenchStatistics
{
    /// <summary>False for a Debug build, whose figures are not meaningful.</summary>
    public static bool IsOptimized() =>
        typeof(BenchStatistics).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false) is not [DebuggableAttribute { IsJITOptimizerDisabled: true }];

    public static double Median(double[] values) => Percentile(values, 0.5);

    public static double P95(double[] values) => Percentile(values, 0.95);

    /// <summary>The p-quantile (0..1) of <paramref name="values"/>, interpolated between the two nearest ranks.</summary>
    public static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
