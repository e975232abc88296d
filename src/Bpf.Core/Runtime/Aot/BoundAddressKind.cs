namespace Bpf.Runtime.Aot;

/// <summary>What a <see cref="BoundAddress"/> is the address (or handle) of.</summary>
public enum BoundAddressKind
{
    /// <summary>The handle of map <see cref="BoundAddress.MapIndex"/> (<c>lddw rN, map</c>).</summary>
    MapHandle,

    /// <summary>
    /// The address of the single value of map <see cref="BoundAddress.MapIndex"/> plus
    /// <see cref="BoundAddress.Offset"/> (<c>lddw rN, map_value</c>: global data).
    /// </summary>
    MapValue,

    /// <summary>Where the values of array map <see cref="BoundAddress.MapIndex"/> start (the inline array lookup).</summary>
    ArrayValues,

    /// <summary>The upper 32 bits of the program's arena addresses (<c>addr_space_cast</c>).</summary>
    ArenaHigh,
}
