using System.Collections;
using System.Runtime.CompilerServices;

namespace Bpf.Maps;

/// <summary>
/// A typed host view of a per-CPU map (<see cref="BpfMap.AsPerCpuHash{TKey, TValue}"/>): each
/// key's value is an array of one <typeparamref name="TValue"/> per CPU slot (<see cref="CpuSlots"/>),
/// with the map's own semantics (update flags, errors as <see cref="BpfMapException"/>).
/// </summary>
/// <typeparam name="TKey">A type of exactly the map's key size.</typeparam>
/// <typeparam name="TValue">A type of exactly the map's value size.</typeparam>
public sealed class PerCpuHashView<TKey, TValue> : IEnumerable<KeyValuePair<TKey, TValue[]>>
    where TKey : unmanaged
    where TValue : unmanaged
{
    internal PerCpuHashView(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (!map.IsPerCpuType)
            throw new ArgumentException($"map {map.Name} ({map.Type}) is not a per-CPU map: use AsHash", nameof(map));
        TypedKeys.Check<TKey>(map);
        if (Unsafe.SizeOf<TValue>() != map.ValueSize)
            throw new ArgumentException($"map {map.Name}: {typeof(TValue).Name} is {Unsafe.SizeOf<TValue>()} bytes, the values are {map.ValueSize}", nameof(map));
        Map = map;
    }

    /// <summary>The map.</summary>
    public BpfMap Map { get; }

    /// <summary>The number of keys: kept by hash maps, the size of arrays, else counted by walking the keys.</summary>
    public int Count => TypedKeys.Count(Map);

    /// <summary>The keys, in the map's order.</summary>
    public IEnumerable<TKey> Keys => TypedKeys.Walk<TKey>(Map);

    /// <summary>The values of every slot for <paramref name="key"/>; setting them is an update with <see cref="MapUpdateFlags.Any"/>.</summary>
    /// <exception cref="KeyNotFoundException">Getting a key that is not in the map.</exception>
    public TValue[] this[TKey key]
    {
        get => TryGetValue(key, out var values) ? values : throw new KeyNotFoundException($"map {Map.Name}: no key {key}");
        set => Set(key, value);
    }

    /// <summary>The values of every slot for <paramref name="key"/>.</summary>
    /// <returns>False if there is no such key.</returns>
    public bool TryGetValue(TKey key, out TValue[] values)
    {
        var host = new byte[Map.HostValueSize];
        if (!Map.TryLookup(TypedKeys.Bytes(ref key), host))
        {
            values = [];
            return false;
        }

        values = PerCpuValues.Unpack<TValue>(host);
        return true;
    }

    /// <summary>Sets the values of every slot for <paramref name="key"/> (one per slot) with the kernel's update <paramref name="flags"/>.</summary>
    /// <exception cref="ArgumentException">There is not exactly one value per CPU slot.</exception>
    /// <exception cref="BpfMapException">The map refused the update (exists, does not exist, full, read-only...).</exception>
    public void Set(TKey key, ReadOnlySpan<TValue> values, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        Map.Update(TypedKeys.Bytes(ref key), PerCpuValues.Pack(values), flags);

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <returns>False if there was no such key.</returns>
    /// <exception cref="BpfMapException">The map refuses deletions (arrays) or is read-only.</exception>
    public bool Remove(TKey key) => Map.Delete(TypedKeys.Bytes(ref key));

    /// <summary>True if <paramref name="key"/> is in the map.</summary>
    public bool ContainsKey(TKey key) => TryGetValue(key, out _);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<TKey, TValue[]>> GetEnumerator()
    {
        foreach (var key in Keys)
        {
            if (TryGetValue(key, out var values))
                yield return new KeyValuePair<TKey, TValue[]>(key, values);
        }
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
