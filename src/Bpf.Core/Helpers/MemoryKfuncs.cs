using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// <c>memset</c>, <c>memcpy</c>, <c>memmove</c> and <c>memcmp</c> as kfuncs: clang emits calls to
/// them for large structure copies and clears, and the loader binds such calls by name. In checked
/// mode each range must lie in memory the program may read (or write, for the destination).
/// </summary>
public static class MemoryKfuncs
{
    /// <summary><c>void *memset(void *dst, int c, size_t n)</c>: fills <c>n</c> bytes with the low byte of <c>c</c>; returns <c>dst</c>.</summary>
    public static unsafe ulong Memset(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        NativeMemory.Fill((void*)invocation.HelperWrite(r1, Length(r3)), (nuint)r3, (byte)r2);
        return r1;
    }

    /// <summary><c>void *memcpy(void *dst, const void *src, size_t n)</c>: copies <c>n</c> bytes (overlap is tolerated); returns <c>dst</c>.</summary>
    public static ulong Memcpy(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation) =>
        Memmove(r1, r2, r3, r4, r5, invocation);

    /// <summary><c>void *memmove(void *dst, const void *src, size_t n)</c>: copies <c>n</c> bytes as if through a temporary buffer; returns <c>dst</c>.</summary>
    public static unsafe ulong Memmove(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        long length = Length(r3);
        nint destination = invocation.HelperWrite(r1, length);
        nint source = invocation.HelperRead(r2, length);
        Buffer.MemoryCopy((void*)source, (void*)destination, r3, r3);
        return r1;
    }

    /// <summary>
    /// <c>int memcmp(const void *a, const void *b, size_t n)</c>: 0 when the bytes are equal, else the
    /// difference of the first unequal pair as unsigned bytes (Linux's <c>memcmp</c>), an <c>int</c> in
    /// the low 32 bits of r0 (the upper ones 0, as Linux leaves them for kfuncs returning <c>int</c>).
    /// </summary>
    public static unsafe ulong Memcmp(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        long length = Length(r3);
        byte* a = (byte*)invocation.HelperRead(r1, length);
        byte* b = (byte*)invocation.HelperRead(r2, length);
        for (ulong done = 0; done < r3;)
        {
            int chunk = (int)Math.Min(r3 - done, int.MaxValue);
            int same = new ReadOnlySpan<byte>(a + done, chunk).CommonPrefixLength(new ReadOnlySpan<byte>(b + done, chunk));
            if (same < chunk)
                return (uint)(a[done + (ulong)same] - b[done + (ulong)same]);
            done += (ulong)chunk;
        }

        return 0;
    }

    // A length past long.MaxValue cannot be valid; the checks then see a negative size and refuse it.
    private static long Length(ulong n) => (long)n;
}
