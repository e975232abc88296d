namespace Bpf.Maps;

/// <summary>Map creation flags (<c>map_flags</c>), as the kernel defines them.</summary>
[Flags]
public enum BpfMapFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary><c>BPF_F_NO_PREALLOC</c>: hash maps allocate elements on update instead of up front.</summary>
    NoPrealloc = 1 << 0,
    /// <summary><c>BPF_F_NO_COMMON_LRU</c>: LRU maps keep one LRU list per CPU.</summary>
    NoCommonLru = 1 << 1,
    /// <summary><c>BPF_F_NUMA_NODE</c>.</summary>
    NumaNode = 1 << 2,
    /// <summary><c>BPF_F_RDONLY</c>: the host (user space) may only read the map.</summary>
    ReadOnly = 1 << 3,
    /// <summary><c>BPF_F_WRONLY</c>: the host may only write the map.</summary>
    WriteOnly = 1 << 4,
    /// <summary><c>BPF_F_STACK_BUILD_ID</c>.</summary>
    StackBuildId = 1 << 5,
    /// <summary><c>BPF_F_ZERO_SEED</c>: hash with a zero seed (reproducible order).</summary>
    ZeroSeed = 1 << 6,
    /// <summary><c>BPF_F_RDONLY_PROG</c>: programs may only read the map.</summary>
    ReadOnlyProgram = 1 << 7,
    /// <summary><c>BPF_F_WRONLY_PROG</c>: programs may only write the map.</summary>
    WriteOnlyProgram = 1 << 8,
    /// <summary><c>BPF_F_CLONE</c>.</summary>
    Clone = 1 << 9,
    /// <summary><c>BPF_F_MMAPABLE</c>: the host may map the values directly (arrays, arenas).</summary>
    Mmapable = 1 << 10,
    /// <summary><c>BPF_F_PRESERVE_ELEMS</c>.</summary>
    PreserveElements = 1 << 11,
    /// <summary><c>BPF_F_INNER_MAP</c>: an inner-map template whose max_entries may differ from the actual inner maps.</summary>
    InnerMap = 1 << 12,
}
