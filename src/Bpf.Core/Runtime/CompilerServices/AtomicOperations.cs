using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Bpf.Runtime.CompilerServices;

/// <summary>
/// Atomic read-modify-write operations on native addresses that <see cref="Interlocked"/> has no
/// single method for. Each returns the old value.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class AtomicOperations
{
    /// <summary>Atomically xors <paramref name="value"/> into the 64-bit word at <paramref name="address"/>; returns the old value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FetchXor64(nint address, long value)
    {
        ref long target = ref *(long*)address;
        long old = Volatile.Read(ref target);
        while (true)
        {
            long seen = Interlocked.CompareExchange(ref target, old ^ value, old);
            if (seen == old)
                return old;
            old = seen;
        }
    }

    /// <summary>Atomically xors <paramref name="value"/> into the 32-bit word at <paramref name="address"/>; returns the old value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FetchXor32(nint address, int value)
    {
        ref int target = ref *(int*)address;
        int old = Volatile.Read(ref target);
        while (true)
        {
            int seen = Interlocked.CompareExchange(ref target, old ^ value, old);
            if (seen == old)
                return old;
            old = seen;
        }
    }
}
