namespace Bpf.Verification;

/// <summary>What a register holds, as the verifier knows it (the kernel's <c>enum bpf_reg_type</c>).</summary>
public enum RegisterKind
{
    /// <summary>Never written on this path: reading it is an error.</summary>
    NotInitialized,
    /// <summary>A number (bounds in <see cref="RegisterState.Value"/>).</summary>
    Scalar,
    /// <summary>The program's context (r1 at entry for context program types).</summary>
    Context,
    /// <summary>A pointer into a stack frame (r10 and what is derived from it).</summary>
    Stack,
    /// <summary>A map, as <c>lddw</c> of a map loads it (an argument for map helpers).</summary>
    MapPointer,
    /// <summary>A pointer into a map value (from a lookup, after its null check, or a global variable).</summary>
    MapValue,
    /// <summary>A pointer into memory of a known or proven size (raw input, helper memory, ring buffer reservations).</summary>
    Memory,
    /// <summary>A pointer into the packet.</summary>
    Packet,
    /// <summary>The end of the packet (<c>data_end</c>).</summary>
    PacketEnd,
    /// <summary>The start of the packet's metadata (<c>data_meta</c>).</summary>
    PacketMeta,
    /// <summary>A function of the program (for callbacks).</summary>
    Function,
    /// <summary>
    /// An arena pointer (<c>PTR_TO_ARENA</c>), made by <c>addr_space_cast(rX, 0, 1)</c>: any arithmetic
    /// keeps it one, and loads and stores through it may use any offset (see docs/verifier.md, "Arenas").
    /// </summary>
    Arena,
}
