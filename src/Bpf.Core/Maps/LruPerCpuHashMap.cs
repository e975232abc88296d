namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_LRU_PERCPU_HASH</c>: an LRU hash map (see <see cref="LruHashMap"/>) whose
/// elements hold one value per CPU slot (see <see cref="PerCpuHashMap"/>).
/// </summary>
public sealed class LruPerCpuHashMap : HashMapBase
{
    /// <summary>Creates the map, empty.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for an LRU per-CPU hash map, as the kernel would refuse it.</exception>
    public LruPerCpuHashMap(BpfMapDefinition definition)
        : base(definition, BpfMapType.LruPercpuHash, lru: true, perCpu: true)
    {
    }
}
