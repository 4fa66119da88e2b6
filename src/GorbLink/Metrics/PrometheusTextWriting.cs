using System.Text;
using GorbLink.Core.Metrics;

namespace GorbLink.Metrics;

internal static class PrometheusTextWriting
{
    /// <summary>
    /// Writes the text as UTF-8, chunk by chunk: with a thousand destinations it is a few megabytes, and neither one
    /// string nor one byte array of it is ever made (they would land on the large object heap at every scrape).
    /// </summary>
    public static async Task WriteToAsync(this PrometheusText text, System.IO.Pipelines.PipeWriter writer, CancellationToken cancellationToken)
    {
        foreach (var chunk in text.GetChunks())
        {
            var span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
            writer.Advance(Encoding.UTF8.GetBytes(chunk.Span, span));
            if (writer.UnflushedBytes >= 64 * 1024) await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
