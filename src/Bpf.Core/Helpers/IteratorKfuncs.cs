using System.Runtime.CompilerServices;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// The open-coded number iterator kfuncs (<c>bpf_for(i, start, end)</c> in C): <c>bpf_iter_num_new</c>,
/// <c>_next</c> and <c>_destroy</c> over the 8-byte <c>struct bpf_iter_num</c> the program keeps
/// (on its stack in Linux; any memory the program may write here), holding the current value and
/// the end, as Linux's <c>bpf_iter_num_kern</c>. An <c>int</c> result fills the low 32 bits of r0
/// and leaves the upper ones 0, as on Linux (x86-64), where <c>-EINVAL</c> reads as 0xFFFFFFEA.
/// </summary>
public static class IteratorKfuncs
{
    private const int StateSize = 8;

    /// <summary>
    /// <c>int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end)</c>: an iterator over
    /// [start, end). <c>-EINVAL</c> when start &gt; end, <c>-E2BIG</c> when the range is longer than
    /// 2^23; either way the iterator is left empty.
    /// </summary>
    public static unsafe ulong IterNumNew(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        byte* state = (byte*)invocation.HelperWrite(r1, StateSize);
        int start = (int)r2, end = (int)r3;
        if (start > end)
            return Fail(state, Errno.EINVAL);
        if ((long)end - start > CallbackHelpers.MaxLoops)
            return Fail(state, Errno.E2BIG);

        // The first next() moves to start.
        Unsafe.WriteUnaligned(state, unchecked(start - 1));
        Unsafe.WriteUnaligned(state + 4, end);
        return 0;
    }

    /// <summary>
    /// <c>int *bpf_iter_num_next(struct bpf_iter_num *it)</c>: a pointer to the next value (which
    /// lives in the iterator), or 0 when the range is done (the iterator is then emptied).
    /// </summary>
    public static unsafe ulong IterNumNext(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        byte* state = (byte*)invocation.HelperWrite(r1, StateSize);
        int current = Unsafe.ReadUnaligned<int>(state);
        int end = Unsafe.ReadUnaligned<int>(state + 4);
        if (unchecked(current + 1) >= end)
        {
            Fail(state, 0);
            return 0;
        }

        Unsafe.WriteUnaligned(state, current + 1);
        return (ulong)state;
    }

    /// <summary><c>void bpf_iter_num_destroy(struct bpf_iter_num *it)</c>: empties the iterator.</summary>
    public static unsafe ulong IterNumDestroy(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        Fail((byte*)invocation.HelperWrite(r1, StateSize), 0);
        return 0;
    }

    private static unsafe ulong Fail(byte* state, int errno)
    {
        Unsafe.WriteUnaligned(state, 0L);
        return (uint)-errno;
    }
}
