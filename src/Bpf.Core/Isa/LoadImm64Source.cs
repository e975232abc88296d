namespace Bpf.Isa;

/// <summary>
/// What the 64-bit immediate of an <c>lddw</c> means, chosen by its source field
/// (the kernel's <c>BPF_PSEUDO_*</c> values). Everything but <see cref="Immediate"/> is
/// resolved by the loader before a program runs.
/// </summary>
public enum LoadImm64Source : byte
{
    /// <summary>A plain 64-bit constant.</summary>
    Immediate = 0,
    /// <summary><c>BPF_PSEUDO_MAP_FD</c>: the immediate is a map file descriptor; the value is the map.</summary>
    MapFd = 1,
    /// <summary><c>BPF_PSEUDO_MAP_VALUE</c>: a map fd and, in the second slot, an offset into its value.</summary>
    MapValue = 2,
    /// <summary><c>BPF_PSEUDO_BTF_ID</c>: the address of a kernel variable by BTF id.</summary>
    BtfId = 3,
    /// <summary><c>BPF_PSEUDO_FUNC</c>: the address of the BPF function at <c>pc + 1 + imm</c>.</summary>
    Function = 4,
    /// <summary><c>BPF_PSEUDO_MAP_IDX</c>: like <see cref="MapFd"/> with an index into the program's map array.</summary>
    MapIndex = 5,
    /// <summary><c>BPF_PSEUDO_MAP_IDX_VALUE</c>: like <see cref="MapValue"/> with a map index.</summary>
    MapIndexValue = 6,
}
