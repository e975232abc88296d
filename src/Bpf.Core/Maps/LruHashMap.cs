namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_LRU_HASH</c>: a hash map that, when full, makes room for a new key by evicting
/// the least recently used one instead of failing. Program lookups and updates mark an element as
/// used; eviction takes the oldest element that has not been used since it was last passed over
/// (the kernel's LRU is approximate in the same way). Host lookups do not count as uses, as in the
/// kernel.
/// </summary>
/// <remarks>
/// <see cref="BpfMapFlags.NoCommonLru"/> (one LRU list per CPU in the kernel) is accepted; the map
/// keeps one common list either way. Unlike the kernel, updating an existing key changes its value
/// in place and so never evicts another key.
/// </remarks>
public sealed class LruHashMap : HashMapBase
{
    /// <summary>Creates the map, empty.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for an LRU hash map, as the kernel would refuse it.</exception>
    public LruHashMap(BpfMapDefinition definition)
        : base(definition, BpfMapType.LruHash, lru: true, perCpu: false)
    {
    }
}
