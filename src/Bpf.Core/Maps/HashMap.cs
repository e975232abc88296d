namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_HASH</c>: keys of any size mapped to values, at most
/// <see cref="BpfMap.MaxEntries"/> of them. An update with a new key when the map is full fails
/// with <c>-E2BIG</c>; <c>BPF_NOEXIST</c> on an existing key gives <c>-EEXIST</c>, <c>BPF_EXIST</c>
/// on a missing one <c>-ENOENT</c>, other flags <c>-EINVAL</c>, as in the kernel.
/// </summary>
public sealed class HashMap : HashMapBase
{
    /// <summary>Creates the map, empty.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for a hash map, as the kernel would refuse it.</exception>
    public HashMap(BpfMapDefinition definition)
        : base(definition, BpfMapType.Hash, lru: false, perCpu: false)
    {
    }
}
