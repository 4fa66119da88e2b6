using CsCheck;

namespace GorbLink.Fuzz.Tests.Support;

/// <summary>
/// Mutations of seed inputs as a fuzzer makes them: bit flips, bytes and 16/32-bit words set to boundary values
/// (lengths near 0, 2^15, 2^16, 2^31, 2^32), inserted and deleted runs, duplicated runs, truncation, and splices of
/// two seeds. Wire formats carry their own lengths, so the boundary words find most overflow bugs.
/// </summary>
public static class ByteMutator
{
    private static readonly uint[] Interesting =
        [0, 1, 3, 4, 7, 8, 15, 16, 20, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffb, 0xfffffffc, 0xffffffff];

    public static Gen<byte[]> From(byte[][] seeds, int maxMutations = 6) =>
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int[0, seeds.Length - 1], Gen.Int[0, maxMutations], Gen.ULong)
            .Select(t => Mutate(seeds[t.Item1], seeds[t.Item2], t.Item3, t.Item4));

    private static byte[] Mutate(byte[] seed, byte[] other, int mutations, ulong state)
    {
        var random = new Random(unchecked((int)state ^ (int)(state >> 32)));
        var bytes = new List<byte>(seed);
        for (var m = 0; m < mutations; m++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(9))
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1 when bytes.Count > 0: bytes[at] = (byte)Interesting[random.Next(Interesting.Length)]; break;
                case 2 when bytes.Count >= 2: Write(bytes, Math.Min(at, bytes.Count - 2), Interesting[random.Next(Interesting.Length)], 2); break;
                case 3 when bytes.Count >= 4: Write(bytes, Math.Min(at, bytes.Count - 4) & ~3, Interesting[random.Next(Interesting.Length)], 4); break;
                case 4: bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256))); break;
                case 5 when bytes.Count > 0: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 9))); break;
                case 6 when bytes.Count > 0:
                    var run = bytes.GetRange(at, Math.Min(bytes.Count - at, random.Next(1, 17)));
                    bytes.InsertRange(random.Next(bytes.Count + 1), run);
                    break;
                case 7 when bytes.Count > 0: bytes.RemoveRange(at, bytes.Count - at); break;
                case 8 when other.Length > 0:
                    var from = random.Next(other.Length);
                    bytes.InsertRange(at, other.Skip(from).Take(random.Next(1, 33)));
                    break;
            }
        }
        return [.. bytes];
    }

    private static void Write(List<byte> bytes, int at, uint value, int width)
    {
        for (var i = 0; i < width; i++) bytes[at + i] = (byte)(value >> (8 * i));
    }
}
