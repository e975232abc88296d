namespace Bpf.Maps;

/// <summary>Creates the map a definition describes: the one place that knows which class implements which map type.</summary>
public static class MapFactory
{
    /// <summary>Creates a map.</summary>
    /// <exception cref="ArgumentException">The definition is invalid for its type.</exception>
    /// <exception cref="NotSupportedException">The map type is not supported.</exception>
    public static BpfMap Create(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition.Type switch
        {
            BpfMapType.Array => new ArrayMap(definition),
            BpfMapType.Hash => new HashMap(definition),
            BpfMapType.PercpuHash => new PerCpuHashMap(definition),
            BpfMapType.PercpuArray => new PerCpuArrayMap(definition),
            BpfMapType.LruHash => new LruHashMap(definition),
            BpfMapType.LruPercpuHash => new LruPerCpuHashMap(definition),
            BpfMapType.HashOfMaps => new HashOfMapsMap(definition),
            BpfMapType.ProgArray => new ProgramArrayMap(definition),
            BpfMapType.LpmTrie => new LpmTrieMap(definition),
            BpfMapType.ArrayOfMaps => new ArrayOfMapsMap(definition),
            BpfMapType.Queue => new QueueMap(definition),
            BpfMapType.Stack => new StackMap(definition),
            BpfMapType.BloomFilter => new BloomFilterMap(definition),
            BpfMapType.Ringbuf => new RingBufferMap(definition),
            BpfMapType.PerfEventArray => new PerfEventArrayMap(definition),
            BpfMapType.Arena => new ArenaMap(definition),
            _ => throw new NotSupportedException($"map {definition.Name}: map type {definition.Type} is not supported"),
        };
    }
}
