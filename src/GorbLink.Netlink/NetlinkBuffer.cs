namespace GorbLink.Netlink;

/// <summary>A growable byte buffer that <see cref="NetlinkWriter"/> appends messages to. Reusable after <see cref="Clear"/>.</summary>
public sealed class NetlinkBuffer
{
    private byte[] _bytes;

    public NetlinkBuffer(int initialCapacity = 4096) => _bytes = new byte[Math.Max(64, initialCapacity)];

    public int Length { get; private set; }
    public ReadOnlyMemory<byte> Written => _bytes.AsMemory(0, Length);
    public ReadOnlySpan<byte> WrittenSpan => _bytes.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>The written bytes, writable: a batch stamps sequence numbers and flags into its messages where they are.</summary>
    internal Memory<byte> WrittenMemory => _bytes.AsMemory(0, Length);

    internal Span<byte> Append(int count)
    {
        if (Length + count > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + count));
        }
        var span = _bytes.AsSpan(Length, count);
        span.Clear();
        Length += count;
        return span;
    }

    internal Span<byte> Slice(int offset, int count) => _bytes.AsSpan(offset, count);
}
