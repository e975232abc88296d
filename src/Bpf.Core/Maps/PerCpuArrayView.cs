using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// A typed host view of a per-CPU array (<see cref="PerCpuArrayMap.AsArray{T}"/>): each index holds
/// one <typeparamref name="T"/> per CPU slot (<see cref="CpuSlots"/>). Single slots are read and
/// written in place; whole indexes go through the map's update semantics.
/// </summary>
/// <typeparam name="T">A type of exactly the map's value size.</typeparam>
public sealed class PerCpuArrayView<T> : IReadOnlyList<T[]>
    where T : unmanaged
{
    internal PerCpuArrayView(PerCpuArrayMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (Unsafe.SizeOf<T>() != map.ValueSize)
            throw new ArgumentException($"map {map.Name}: {typeof(T).Name} is {Unsafe.SizeOf<T>()} bytes, the values are {map.ValueSize}", nameof(map));
        Map = map;
    }

    /// <summary>The map.</summary>
    public PerCpuArrayMap Map { get; }

    /// <summary>The number of indexes (max_entries).</summary>
    public int Count => Map.MaxEntries;

    /// <summary>The values of every slot at <paramref name="index"/>; setting them is an update with <see cref="MapUpdateFlags.Any"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public T[] this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var host = new byte[Map.HostValueSize];
            Map.TryLookup(BitConverter.GetBytes((uint)index), host);
            return PerCpuValues.Unpack<T>(host);
        }

        set => Set(index, value);
    }

    /// <summary>The value at <paramref name="index"/> in CPU slot <paramref name="cpu"/>; setting it writes that slot only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index or the slot is out of range.</exception>
    /// <exception cref="BpfMapException">Setting a slot of a map that is read-only for the host.</exception>
    public T this[int index, int cpu]
    {
        get => MemoryMarshal.Read<T>(Map.ValueAt(index, cpu));
        set
        {
            if ((Map.Flags & BpfMapFlags.ReadOnly) != 0)
                throw new BpfMapException(Map.Name, Errno.EPERM, "the map is read-only for the host");
            MemoryMarshal.Write(Map.ValueAt(index, cpu), in value);
        }
    }

    /// <summary>Sets the values of every slot at <paramref name="index"/> (one per slot) with the kernel's update <paramref name="flags"/>.</summary>
    /// <exception cref="ArgumentException">There is not exactly one value per CPU slot.</exception>
    /// <exception cref="BpfMapException">The map refused the update (index out of range, BPF_NOEXIST, read-only).</exception>
    public void Set(int index, ReadOnlySpan<T> values, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Map.Update(BitConverter.GetBytes((uint)index), PerCpuValues.Pack(values), flags);
    }

    /// <inheritdoc/>
    public IEnumerator<T[]> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
            yield return this[i];
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
