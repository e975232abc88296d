namespace Bpf.Maps;

/// <summary>
/// What a map is: everything needed to create it, as an object file's <c>.maps</c> or
/// <c>maps</c> section describes it (or a host spells it out).
/// </summary>
public sealed record BpfMapDefinition
{
    /// <summary>The map's name (the symbol in the object file).</summary>
    public required string Name { get; init; }

    /// <summary>The map type.</summary>
    public required BpfMapType Type { get; init; }

    /// <summary>The key size in bytes (0 for maps without keys: queues, stacks, bloom filters, ring buffers).</summary>
    public int KeySize { get; init; }

    /// <summary>The value size in bytes (0 for ring buffers).</summary>
    public int ValueSize { get; init; }

    /// <summary>The maximum number of entries; for ring buffers, the data size in bytes; for arenas, the page count.</summary>
    public int MaxEntries { get; init; }

    /// <summary>Creation flags.</summary>
    public BpfMapFlags Flags { get; init; }

    /// <summary>libbpf's pinning mode (0 none, 1 by name); kept for tools, not acted on.</summary>
    public int Pinning { get; init; }

    /// <summary>For map-in-map types, the definition every inner map must match.</summary>
    public BpfMapDefinition? InnerMap { get; init; }

    /// <summary><c>map_extra</c>: the number of hash functions of a bloom filter; for arenas, the address hint.</summary>
    public ulong MapExtra { get; init; }

    /// <summary>The NUMA node (kept, not acted on).</summary>
    public int NumaNode { get; init; }

    /// <summary>
    /// The offset of the <c>struct bpf_spin_lock</c> in the value (the loader reads it from the value's
    /// BTF type), or -1 when the value has none; the verifier lets programs lock only there.
    /// </summary>
    public int SpinLockOffset { get; init; } = -1;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {Type} key {KeySize} value {ValueSize} max_entries {MaxEntries}{(Flags == BpfMapFlags.None ? "" : $" flags {Flags}")}";
}
