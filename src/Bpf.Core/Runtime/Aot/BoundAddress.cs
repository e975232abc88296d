using Bpf.Maps;

namespace Bpf.Runtime.Aot;

/// <summary>
/// A run-time address compiled code uses: known only when a program is bound to its maps, so an
/// in-process compiler embeds its value while an assembly written ahead of time looks it up in
/// the <see cref="AotBindingTable"/> made when the program is bound.
/// </summary>
/// <param name="Kind">What the address is.</param>
/// <param name="MapIndex">The map, by the index the program's <c>lddw</c> instructions carry (-1 for <see cref="BoundAddressKind.ArenaHigh"/>).</param>
/// <param name="Offset">For <see cref="BoundAddressKind.MapValue"/>, the offset into the value; 0 otherwise.</param>
public readonly record struct BoundAddress(BoundAddressKind Kind, int MapIndex, int Offset = 0)
{
    /// <summary>The handle of map <paramref name="mapIndex"/>.</summary>
    public static BoundAddress MapHandle(int mapIndex) => new(BoundAddressKind.MapHandle, mapIndex);

    /// <summary>The address of byte <paramref name="offset"/> of the single value of map <paramref name="mapIndex"/>.</summary>
    public static BoundAddress MapValue(int mapIndex, int offset) => new(BoundAddressKind.MapValue, mapIndex, offset);

    /// <summary>The start of the values of array map <paramref name="mapIndex"/>.</summary>
    public static BoundAddress ArrayValues(int mapIndex) => new(BoundAddressKind.ArrayValues, mapIndex);

    /// <summary>The upper half of the program's arena addresses.</summary>
    public static BoundAddress ArenaHigh { get; } = new(BoundAddressKind.ArenaHigh, -1);

    /// <summary>The value of the address for <paramref name="image"/>'s maps.</summary>
    /// <exception cref="AotBindingException">The map is missing or not of the kind the code was compiled for.</exception>
    public ulong Resolve(ProgramImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (Kind == BoundAddressKind.ArenaHigh)
        {
            var arena = image.Maps.FirstOrDefault(m => m.ArenaBase != 0)
                ?? throw new AotBindingException(image.Name, "the code was compiled for an arena, and the program has no arena map");
            return arena.ArenaBase & 0xFFFF_FFFF_0000_0000;
        }

        if ((uint)MapIndex >= (uint)image.Maps.Count)
            throw new AotBindingException(image.Name, $"the code refers to map {MapIndex}, and the program has {image.Maps.Count} maps");
        var map = image.Maps[MapIndex];
        switch (Kind)
        {
            case BoundAddressKind.MapHandle:
                return map.Handle;
            case BoundAddressKind.MapValue:
                if (!map.TryGetDirectValueAddress(out nint address) || (uint)Offset >= (uint)map.ValueSize)
                    throw new AotBindingException(image.Name, $"the code reads byte {Offset} of the value of map {map.Name} directly, which that map does not allow");
                return (ulong)address + (uint)Offset;
            default:
                if (map is not ArrayMap array)
                    throw new AotBindingException(image.Name, $"the code was compiled for an array map {MapIndex}, and map {map.Name} is a {map.Type}");
                return (ulong)array.ValuesAddress;
        }
    }

    /// <summary>The address as the manifest of a precompiled program writes it.</summary>
    public override string ToString() => $"{Kind} {MapIndex} {Offset}";
}
