using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpf.Maps;

/// <summary>
/// A typed host view of an array map (<see cref="ArrayViews.AsArray{T}(ArrayMap)"/>): the values as
/// <typeparamref name="T"/>, read in place, written with the map's own semantics (a frozen or
/// read-only map refuses writes with <see cref="BpfMapException"/>).
/// </summary>
/// <typeparam name="T">A type of exactly the map's value size.</typeparam>
public sealed class ArrayView<T> : IReadOnlyList<T>
    where T : unmanaged
{
    internal ArrayView(ArrayMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (Unsafe.SizeOf<T>() != map.ValueSize)
            throw new ArgumentException($"map {map.Name}: {typeof(T).Name} is {Unsafe.SizeOf<T>()} bytes, the values are {map.ValueSize}", nameof(map));
        Map = map;
    }

    /// <summary>The map.</summary>
    public ArrayMap Map { get; }

    /// <summary>The number of elements (max_entries).</summary>
    public int Count => Map.MaxEntries;

    /// <summary>The value at <paramref name="index"/>; setting it is an update with <see cref="MapUpdateFlags.Any"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public T this[int index]
    {
        get => MemoryMarshal.Read<T>(Map.ValueAt(index));
        set => Set(index, value);
    }

    /// <summary>The value at <paramref name="index"/>.</summary>
    /// <returns>False if the index is out of range.</returns>
    public bool TryGetValue(int index, out T value)
    {
        value = default;
        return index >= 0 && index < Count && Map.TryLookup(Key(index), MemoryMarshal.AsBytes(new Span<T>(ref value)));
    }

    /// <summary>Sets the value at <paramref name="index"/> with the kernel's update <paramref name="flags"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is negative.</exception>
    /// <exception cref="BpfMapException">The map refused the update (index out of range, BPF_NOEXIST, frozen or read-only).</exception>
    public void Set(int index, T value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Map.Update(Key(index), MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref value)), flags);
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
            yield return this[i];
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static byte[] Key(int index) => BitConverter.GetBytes((uint)index);
}
