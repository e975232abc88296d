using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Bpf.Runtime.CompilerServices;

/// <summary>
/// Map operations compiled code performs inline when it knows the map at compile time, instead of
/// calling the helper: an array lookup is a bounds check and an add, as in the kernel's JITs.
/// The map's constants are arguments, which RyuJIT folds once it inlines the call.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class MapOperations
{
    /// <summary>
    /// <c>bpf_map_lookup_elem</c> on an array map: the address of value <c>*(u32 *)key</c>, or 0 when
    /// the index is out of range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ArrayLookup(ulong key, ulong values, uint maxEntries, uint stride)
    {
        uint index = *(uint*)key;
        return index < maxEntries ? values + (ulong)index * stride : 0;
    }

    /// <summary>
    /// <c>addr_space_cast</c> to the host's address space 1 (Linux's <c>cast_user</c>): the pointer with
    /// the arena's upper 32 bits on the value's lower 32, or 0 for 0 (a null pointer stays null).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong AddressSpaceCast(ulong value, ulong arenaHigh) => (uint)value == 0 ? 0 : arenaHigh | (uint)value;

    /// <summary>
    /// <c>addr_space_cast</c> to the program's address space 0 (Linux's <c>cast_kern</c>): the pointer
    /// with the arena's upper 32 bits on the value's lower 32, 0 included. Linux keeps the lower 32 bits
    /// and accesses at the arena's start plus them, so an offset of 0 is the arena's first page, which
    /// the arena hands out first, not null. Arena addresses are the same for programs and the host here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong AddressSpaceCastToProgram(ulong value, ulong arenaHigh) => arenaHigh | (uint)value;

    /// <summary><see cref="ArrayLookup"/> in checked mode: the 4-byte key must be memory the program may read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ArrayLookupChecked(Invocation invocation, ulong key, ulong values, uint maxEntries, uint stride, int instruction)
    {
        uint index = *(uint*)invocation.CheckRead(key, sizeof(uint), instruction);
        return index < maxEntries ? values + (ulong)index * stride : 0;
    }
}
