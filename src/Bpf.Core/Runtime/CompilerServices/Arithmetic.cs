using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Bpf.Runtime.CompilerServices;

/// <summary>
/// Division and modulo with BPF's defined results where IL would throw: x / 0 = 0, x % 0 = x,
/// and signed INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0. Compiled code calls these for register
/// divisors; RyuJIT inlines them. 32-bit forms return the zero-extended 64-bit register value.
/// </summary>
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Div32(ulong dividend, ulong divisor) => (uint)divisor == 0 ? 0 : (uint)dividend / (uint)divisor;

    /// <summary>32-bit unsigned modulo of the low halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mod32(ulong dividend, ulong divisor) => (uint)divisor == 0 ? (uint)dividend : (uint)dividend % (uint)divisor;

    /// <summary>32-bit signed division of the low halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SDiv32(ulong dividend, ulong divisor) => (int)divisor switch
    {
        0 => 0,
        -1 => (uint)(0 - (int)dividend),
        _ => (uint)((int)dividend / (int)divisor),
    };

    /// <summary>32-bit signed modulo of the low halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SMod32(ulong dividend, ulong divisor) => (int)divisor switch
    {
        0 => (uint)dividend,
        -1 => 0,
        _ => (uint)((int)dividend % (int)divisor),
    };
}
