using System.Runtime.InteropServices;

namespace GorbLink.Netlink;

/// <summary>Netlink headers and most attributes are in host byte order; these read and write it.</summary>
public static class NativeEndian
{
    public static ushort ReadUInt16(ReadOnlySpan<byte> source) => MemoryMarshal.Read<ushort>(source);
    public static uint ReadUInt32(ReadOnlySpan<byte> source) => MemoryMarshal.Read<uint>(source);
    public static ulong ReadUInt64(ReadOnlySpan<byte> source) => MemoryMarshal.Read<ulong>(source);
    public static int ReadInt32(ReadOnlySpan<byte> source) => MemoryMarshal.Read<int>(source);
    public static void Write(Span<byte> destination, ushort value) => MemoryMarshal.Write(destination, in value);
    public static void Write(Span<byte> destination, uint value) => MemoryMarshal.Write(destination, in value);
    public static void Write(Span<byte> destination, ulong value) => MemoryMarshal.Write(destination, in value);
}
