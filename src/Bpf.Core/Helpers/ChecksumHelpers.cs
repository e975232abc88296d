using System.Buffers.Binary;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>The Internet checksum helper: <c>bpf_csum_diff</c>.</summary>
public static class ChecksumHelpers
{
    /// <summary>
    /// <c>bpf_csum_diff(from, from_size, to, to_size, seed)</c> (helper 28): the ones'-complement
    /// checksum difference of replacing <c>from</c> with <c>to</c>, added to the 32-bit partial
    /// checksum <c>seed</c>: pushing data (<c>from_size</c> 0), pulling it (<c>to_size</c> 0) or
    /// diffing (both). As Linux computes it (<c>csum_partial</c> of each side, subtracted in ones'
    /// complement) and, since 6.12, folded to 16 bits (not complemented) on every architecture. Any
    /// sizes are accepted, as in Linux 6.18 (older kernels wanted multiples of 4 and at most 512 bytes
    /// together).
    /// </summary>
    public static unsafe ulong CsumDiff(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint fromSize = (uint)r2, toSize = (uint)r4;
        var from = new ReadOnlySpan<byte>((void*)invocation.HelperRead(r1, fromSize), (int)Math.Min(fromSize, int.MaxValue));
        var to = new ReadOnlySpan<byte>((void*)invocation.HelperRead(r3, toSize), (int)Math.Min(toSize, int.MaxValue));
        uint seed = (uint)r5;
        uint sum;
        if (!from.IsEmpty && !to.IsEmpty)
            sum = Subtract(Partial(to, seed), Partial(from, 0));
        else if (!to.IsEmpty)
            sum = Partial(to, seed);
        else if (!from.IsEmpty)
            sum = ~Partial(from, ~seed);
        else
            sum = seed;
        return Fold(sum);
    }

    /// <summary>
    /// Linux's <c>csum_partial</c>: the ones'-complement sum of the data (as little-endian words, a
    /// short tail padded with zeros) and <paramref name="seed"/>, in 32 bits. Only the sum's class
    /// modulo 2^32-1 is defined, and the representative is 0 only when everything summed is 0, which
    /// every end-around-carry adder (and so Linux on every architecture) gives.
    /// </summary>
    internal static uint Partial(ReadOnlySpan<byte> data, uint seed)
    {
        ulong sum = seed;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
            sum += BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
        if (i < data.Length)
        {
            Span<byte> tail = stackalloc byte[4];
            tail.Clear();
            data[i..].CopyTo(tail);
            sum += BinaryPrimitives.ReadUInt32LittleEndian(tail);
        }

        while (sum >> 32 != 0)
            sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        return (uint)sum;
    }

    /// <summary>Linux's <c>csum_sub</c>: <paramref name="a"/> plus the complement of <paramref name="b"/>, with end-around carry.</summary>
    private static uint Subtract(uint a, uint b)
    {
        uint sum = unchecked(a + ~b);
        return sum < ~b ? sum + 1 : sum;
    }

    /// <summary>Linux's <c>from32to16</c>: the two halves added with end-around carry.</summary>
    private static ushort Fold(uint sum)
    {
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }
}
