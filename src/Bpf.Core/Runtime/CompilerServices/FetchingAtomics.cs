using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Bpf.Runtime.CompilerServices;

/// <summary>
/// The atomic operations whose old value compiled code keeps (fetching read-modify-write,
/// exchange, compare-exchange), each returning the old value zero-extended to 64 bits.
/// </summary>
/// <remarks>
/// They are deliberately not inlined. RyuJIT (seen with .NET 10.0.12 on x64) miscompiles the
/// inlined forms: it drops a later 32-to-64-bit zero extension of the register that
/// <c>lock xadd</c>, <c>xchg</c> or <c>cmpxchg</c> wrote, as if the instruction had not written it
/// (a 64-bit <c>lock fetch add</c> followed by <c>arsh32 r0, 0</c> kept r0's upper half), and a
/// successful 32-bit <c>cmpxchg</c>, which leaves RAX untouched, returned a 64-bit comparand's upper
/// half as part of the old value. Returned from a call, the value is in a register RyuJIT treats
/// as clobbered, so the extensions stay. The 32-bit forms take whole registers and truncate
/// them here: compiled code that narrows a register that stays live, to pass it in a fixed
/// argument register, meets another RyuJIT miscompilation (see <see cref="Arithmetic"/>). A
/// locked instruction costs far more than the call.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class FetchingAtomics
{
    /// <summary>Atomic 64-bit add; returns the old value.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Add64(nint address, ulong value) => (ulong)(Interlocked.Add(ref *(long*)address, (long)value) - (long)value);

    /// <summary>Atomic 32-bit add; returns the old value, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Add32(nint address, ulong value) => (uint)(Interlocked.Add(ref *(int*)address, (int)value) - (int)value);

    /// <summary>Atomic 64-bit or; returns the old value.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Or64(nint address, ulong value) => (ulong)Interlocked.Or(ref *(long*)address, (long)value);

    /// <summary>Atomic 32-bit or; returns the old value, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Or32(nint address, ulong value) => (uint)Interlocked.Or(ref *(int*)address, (int)value);

    /// <summary>Atomic 64-bit and; returns the old value.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong And64(nint address, ulong value) => (ulong)Interlocked.And(ref *(long*)address, (long)value);

    /// <summary>Atomic 32-bit and; returns the old value, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong And32(nint address, ulong value) => (uint)Interlocked.And(ref *(int*)address, (int)value);

    /// <summary>Atomic 64-bit xor; returns the old value.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Xor64(nint address, ulong value) => (ulong)AtomicOperations.FetchXor64(address, (long)value);

    /// <summary>Atomic 32-bit xor; returns the old value, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Xor32(nint address, ulong value) => (uint)AtomicOperations.FetchXor32(address, (int)value);

    /// <summary>Atomic 64-bit exchange; returns the old value.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Exchange64(nint address, ulong value) => (ulong)Interlocked.Exchange(ref *(long*)address, (long)value);

    /// <summary>Atomic 32-bit exchange; returns the old value, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Exchange32(nint address, ulong value) => (uint)Interlocked.Exchange(ref *(int*)address, (int)value);

    /// <summary>Atomic 64-bit compare-exchange: stores <paramref name="value"/> if the word equals <paramref name="comparand"/>; returns the old value.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong CompareExchange64(nint address, ulong value, ulong comparand) =>
        (ulong)Interlocked.CompareExchange(ref *(long*)address, (long)value, (long)comparand);

    /// <summary>Atomic 32-bit compare-exchange: stores <paramref name="value"/> if the word equals <paramref name="comparand"/>; returns the old value, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong CompareExchange32(nint address, ulong value, ulong comparand) =>
        (uint)Interlocked.CompareExchange(ref *(int*)address, (int)value, (int)comparand);
}
