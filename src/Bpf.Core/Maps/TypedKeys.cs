using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpf.Maps;

/// <summary>What the typed views share: keys as bytes, walking the keys, counting them.</summary>
internal static class TypedKeys
{
    /// <summary>Checks that <typeparamref name="TKey"/> is exactly the map's key size.</summary>
    /// <exception cref="ArgumentException">It is not, or the map has no keys.</exception>
    public static void Check<TKey>(BpfMap map)
        where TKey : unmanaged
    {
        if (map.KeySize <= 0)
            throw new ArgumentException($"map {map.Name} ({map.Type}) has no keys", nameof(map));
        if (Unsafe.SizeOf<TKey>() != map.KeySize)
            throw new ArgumentException($"map {map.Name}: {typeof(TKey).Name} is {Unsafe.SizeOf<TKey>()} bytes, the keys are {map.KeySize}", nameof(map));
    }

    /// <summary>The bytes of a key.</summary>
    public static ReadOnlySpan<byte> Bytes<TKey>(ref TKey key)
        where TKey : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(ref key));

    /// <summary>Every key of the map, in its order.</summary>
    public static IEnumerable<TKey> Walk<TKey>(BpfMap map)
        where TKey : unmanaged
    {
        var key = new byte[map.KeySize];
        var next = new byte[map.KeySize];
        bool first = true;
        while (map.TryGetNextKey(first ? [] : key, next))
        {
            first = false;
            yield return MemoryMarshal.Read<TKey>(next);
            (key, next) = (next, key);
        }
    }

    /// <summary>The number of keys: kept by hash maps, the size of arrays, else counted by walking the keys.</summary>
    public static int Count(BpfMap map) => map switch
    {
        HashMapBase hash => hash.Count,
        HashOfMapsMap maps => maps.Count,
        ArrayMap or PerCpuArrayMap => map.MaxEntries,
        _ => CountByWalking(map),
    };

    private static int CountByWalking(BpfMap map)
    {
        var key = new byte[map.KeySize];
        var next = new byte[map.KeySize];
        int count = 0;
        bool first = true;
        while (map.TryGetNextKey(first ? [] : key, next))
        {
            first = false;
            count++;
            (key, next) = (next, key);
        }

        return count;
    }
}
