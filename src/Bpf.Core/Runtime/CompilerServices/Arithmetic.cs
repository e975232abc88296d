using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Bpf.Runtime.CompilerServices;

/// <summary>
/// Division and modulo with BPF's defined results where IL would throw: x / 0 = 0, x % 0 = x,
/// and signed INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0. Compiled code calls these for register
/// divisors. 32-bit forms take whole registers and return the zero-extended 64-bit result.
/// </summary>
/// <remarks>
/// RyuJIT inlines the 64-bit forms. The 32-bit forms are kept out of line on purpose: inlined,
/// they narrow a divisor register that usually stays live, and RyuJIT (seen with .NET 10.0.12 on
/// x64) miscompiles that when <c>div</c> needs the register the divisor is in: it moves the
/// divisor's low half elsewhere with a 32-bit <c>mov</c>, then takes that register for the whole
/// 64-bit value (<c>mov esi, edx</c> / <c>idiv esi</c> / <c>mov rdx, rsi</c>), so the divisor
/// register lost its upper half. Called, the arguments are whole registers and the truncation
/// happens on this side, where nothing else is live.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Arithmetic
{
    /// <summary>64-bit unsigned division.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Div64(ulong dividend, ulong divisor) => divisor == 0 ? 0 : dividend / divisor;

    /// <summary>64-bit unsigned modulo.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mod64(ulong dividend, ulong divisor) => divisor == 0 ? dividend : dividend % divisor;

    /// <summary>64-bit signed division.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SDiv64(ulong dividend, ulong divisor) => (long)divisor switch
    {
        0 => 0,
        -1 => (ulong)(0 - (long)dividend),
        _ => (ulong)((long)dividend / (long)divisor),
    };

    /// <summary>64-bit signed modulo (the sign of the result follows the dividend).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SMod64(ulong dividend, ulong divisor) => (long)divisor switch
    {
        0 => dividend,
        -1 => 0,
        _ => (ulong)((long)dividend % (long)divisor),
    };

    /// <summary>32-bit unsigned division of the low halves.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Div32(ulong dividend, ulong divisor) => (uint)divisor == 0 ? 0 : (uint)dividend / (uint)divisor;

    /// <summary>32-bit unsigned modulo of the low halves.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Mod32(ulong dividend, ulong divisor) => (uint)divisor == 0 ? (uint)dividend : (uint)dividend % (uint)divisor;

    /// <summary>32-bit signed division of the low halves.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong SDiv32(ulong dividend, ulong divisor) => (int)divisor switch
    {
        0 => 0,
        -1 => (uint)(0 - (int)dividend),
        _ => (uint)((int)dividend / (int)divisor),
    };

    /// <summary>32-bit signed modulo of the low halves.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong SMod32(ulong dividend, ulong divisor) => (int)divisor switch
    {
        0 => (uint)dividend,
        -1 => 0,
        _ => (uint)((int)dividend % (int)divisor),
    };
}
