namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_PERCPU_HASH</c>: a hash map whose elements hold one value per CPU slot
/// (<see cref="CpuSlots"/>). Programs see the value of the slot they run on (or any slot through
/// <c>bpf_map_lookup_percpu_elem</c>); the host reads and writes all slots at once, each rounded up
/// to 8 bytes (<see cref="BpfMap.HostValueSize"/>), as the kernel's user-space API does.
/// </summary>
public sealed class PerCpuHashMap : HashMapBase
{
    /// <summary>Creates the map, empty.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for a per-CPU hash map, as the kernel would refuse it.</exception>
    public PerCpuHashMap(BpfMapDefinition definition)
        : base(definition, BpfMapType.PercpuHash, lru: false, perCpu: true)
    {
    }
}
