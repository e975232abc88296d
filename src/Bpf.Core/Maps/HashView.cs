using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpf.Maps;

/// <summary>
/// A typed host view of a keyed map (<see cref="BpfMap.AsHash{TKey, TValue}"/>): keys and values as
/// <typeparamref name="TKey"/> and <typeparamref name="TValue"/> instead of byte spans, with the
/// map's own semantics (update flags, errors as <see cref="BpfMapException"/>). Enumerating walks the
/// keys in the map's order (<see cref="BpfMap.TryGetNextKey"/>) and reads each value; entries changed
/// meanwhile may or may not appear.
/// </summary>
/// <typeparam name="TKey">A type of exactly the map's key size.</typeparam>
/// <typeparam name="TValue">A type of exactly the map's value size.</typeparam>
public sealed class HashView<TKey, TValue> : IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : unmanaged
    where TValue : unmanaged
{
    internal HashView(BpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.IsPerCpuType)
            throw new ArgumentException($"map {map.Name} is a per-CPU map: use AsPerCpuHash", nameof(map));
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

    /// <summary>The value for <paramref name="key"/>; setting it is an update with <see cref="MapUpdateFlags.Any"/>.</summary>
    /// <exception cref="KeyNotFoundException">Getting a key that is not in the map.</exception>
    public TValue this[TKey key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"map {Map.Name}: no key {key}");
        set => Set(key, value);
    }

    /// <summary>The value for <paramref name="key"/>.</summary>
    /// <returns>False if there is no such key.</returns>
    public bool TryGetValue(TKey key, out TValue value)
    {
        value = default;
        return Map.TryLookup(TypedKeys.Bytes(ref key), MemoryMarshal.AsBytes(new Span<TValue>(ref value)));
    }

    /// <summary>Sets the value for <paramref name="key"/> with the kernel's update <paramref name="flags"/>.</summary>
    /// <exception cref="BpfMapException">The map refused the update (exists, does not exist, full, read-only...).</exception>
    public void Set(TKey key, TValue value, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        Map.Update(TypedKeys.Bytes(ref key), MemoryMarshal.AsBytes(new ReadOnlySpan<TValue>(ref value)), flags);

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <returns>False if there was no such key.</returns>
    /// <exception cref="BpfMapException">The map refuses deletions (arrays) or is read-only.</exception>
    public bool Remove(TKey key) => Map.Delete(TypedKeys.Bytes(ref key));

    /// <summary>True if <paramref name="key"/> is in the map.</summary>
    public bool ContainsKey(TKey key) => TryGetValue(key, out _);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator()
    {
        foreach (var key in Keys)
        {
            if (TryGetValue(key, out var value))
                yield return new KeyValuePair<TKey, TValue>(key, value);
        }
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
