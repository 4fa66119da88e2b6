using System.Globalization;
using System.Text;

namespace GorbLink.Core.Metrics;

/// <summary>
/// The one writer of the Prometheus text exposition format 0.0.4 (the agent's /metrics and serve's GORB gauges): one HELP and TYPE line per metric family, then its samples.
/// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline; numbers are
/// invariant, with +Inf, -Inf and NaN spelled as Prometheus expects.
/// </summary>
public sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);

    /// <summary>Starts a metric family. Each name may start only once per exposition.</summary>
    public PrometheusText Family(string name, string type, string help)
    {
        if (!_families.Add(name)) throw new InvalidOperationException($"metric family {name} written twice");
        _text.Append("# HELP ").Append(name).Append(' ');
        foreach (var c in help)
        {
            if (c == '\\') _text.Append(@"\\");
            else if (c == '\n') _text.Append(@"\n");
            else _text.Append(c);
        }
        _text.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    public PrometheusText Sample(string name, double value, params (string Name, string Value)[] labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0) _text.Append(',');
                _text.Append(labels[i].Name).Append("=\"");
                foreach (var c in labels[i].Value)
                {
                    switch (c)
                    {
                        case '\\': _text.Append(@"\\"); break;
                        case '"': _text.Append("\\\""); break;
                        case '\n': _text.Append(@"\n"); break;
                        default: _text.Append(c); break;
                    }
                }
                _text.Append('"');
            }
            _text.Append('}');
        }
        _text.Append(' ').Append(Format(value)).Append('\n');
        return this;
    }

    /// <summary>A histogram's _bucket (cumulative, ending with le="+Inf"), _sum and _count samples.</summary>
    public PrometheusText Histogram(string name, HistogramSnapshot histogram, params (string Name, string Value)[] labels)
    {
        long cumulative = 0;
        for (var i = 0; i < histogram.Bounds.Count; i++)
        {
            cumulative += histogram.Counts[i];
            Sample(name + "_bucket", cumulative, [.. labels, ("le", Format(histogram.Bounds[i]))]);
        }
        Sample(name + "_bucket", histogram.Count, [.. labels, ("le", "+Inf")]);
        Sample(name + "_sum", histogram.Sum, labels);
        Sample(name + "_count", histogram.Count, labels);
        return this;
    }

    public static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ when value == Math.Floor(value) && Math.Abs(value) < 1e15 => ((long)value).ToString(CultureInfo.InvariantCulture),
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public override string ToString() => _text.ToString();

    /// <summary>The text in the builder's own chunks, so that a large exposition is written out without one big string.</summary>
    public StringBuilder.ChunkEnumerator GetChunks() => _text.GetChunks();
}

/// <summary>A histogram's state at one moment: per-bucket (not cumulative) counts for each upper bound, then the overflow.</summary>
public sealed record HistogramSnapshot(IReadOnlyList<double> Bounds, IReadOnlyList<long> Counts, long Count, double Sum);

/// <summary>A fixed-bucket histogram; thread-safe.</summary>
public sealed class Histogram(params double[] bounds)
{
    private readonly double[] _bounds = [.. bounds.Order()];
    private readonly long[] _counts = new long[bounds.Length + 1];
    private readonly Lock _gate = new();
    private long _count;
    private double _sum;

    public void Observe(double value)
    {
        var index = Array.BinarySearch(_bounds, value);
        if (index < 0) index = ~index; // first bound >= value; le is inclusive
        lock (_gate)
        {
            _counts[index]++;
            _count++;
            _sum += value;
        }
    }

    public HistogramSnapshot Snapshot()
    {
        lock (_gate) return new HistogramSnapshot(_bounds, [.. _counts.AsSpan(0, _bounds.Length)], _count, _sum);
    }
}
