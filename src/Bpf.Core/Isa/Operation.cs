namespace Bpf.Isa;

/// <summary>
/// What an instruction does, independent of how it is encoded. Every stage (validation,
/// assembler, disassembler, interpreter, JIT, verifier) switches on this, read from the one
/// <see cref="OpcodeTable"/>; the encoding details (width, operand source, access size,
/// sign-extension width) are on the <see cref="OpcodeInfo"/> beside it.
/// </summary>
public enum Operation : byte
{
    // Arithmetic (classes ALU and ALU64; OpcodeInfo.Is64 says which).

    /// <summary><c>dst += src</c>.</summary>
    Add,
    /// <summary><c>dst -= src</c>.</summary>
    Sub,
    /// <summary><c>dst *= src</c>.</summary>
    Mul,
    /// <summary>Unsigned <c>dst /= src</c>; division by zero gives 0.</summary>
    Div,
    /// <summary>Signed <c>dst /= src</c> (ISA v4, offset 1); division by zero gives 0, INT_MIN / -1 gives INT_MIN.</summary>
    SDiv,
    /// <summary><c>dst |= src</c>.</summary>
    Or,
    /// <summary><c>dst &amp;= src</c>.</summary>
    And,
    /// <summary><c>dst &lt;&lt;= src</c>, the count masked to the width.</summary>
    Lsh,
    /// <summary>Logical <c>dst &gt;&gt;= src</c>, the count masked to the width.</summary>
    Rsh,
    /// <summary><c>dst = -dst</c>.</summary>
    Neg,
    /// <summary>Unsigned <c>dst %= src</c>; modulo by zero leaves dst (truncated to the width).</summary>
    Mod,
    /// <summary>Signed <c>dst %= src</c> (ISA v4, offset 1), truncating towards zero; modulo by zero leaves dst, INT_MIN % -1 gives 0.</summary>
    SMod,
    /// <summary><c>dst ^= src</c>.</summary>
    Xor,
    /// <summary><c>dst = src</c>.</summary>
    Mov,
    /// <summary><c>dst = (signed intN)src</c> (ISA v4, offset 8, 16 or 32).</summary>
    MovSx,
    /// <summary>Arithmetic <c>dst &gt;&gt;= src</c>, the count masked to the width.</summary>
    Arsh,
    /// <summary>Convert dst to little-endian at the width in the immediate (16, 32, 64), zero-extending.</summary>
    ToLe,
    /// <summary>Convert dst to big-endian at the width in the immediate (16, 32, 64), zero-extending.</summary>
    ToBe,
    /// <summary>Unconditionally swap the bytes of dst at the width in the immediate (ISA v4 <c>bswap</c>).</summary>
    Swap,

    /// <summary>
    /// <c>dst = addr_space_cast(src, dst_as, src_as)</c> (ALU64 MOV with offset 1, the immediate
    /// <c>dst_as &lt;&lt; 16 | src_as</c>): converts a pointer between an arena's address space (1) and
    /// the normal one (0); 0 stays 0.
    /// </summary>
    AddressSpaceCast,

    // Jumps (classes JMP and JMP32).

    /// <summary>Unconditional jump by the offset field.</summary>
    Ja,
    /// <summary>Unconditional jump by the 32-bit immediate (ISA v4 <c>gotol</c>, class JMP32).</summary>
    Ja32,
    /// <summary>Jump if <c>dst == src</c>.</summary>
    Jeq,
    /// <summary>Jump if <c>dst &gt; src</c>, unsigned.</summary>
    Jgt,
    /// <summary>Jump if <c>dst &gt;= src</c>, unsigned.</summary>
    Jge,
    /// <summary>Jump if <c>dst &amp; src</c> is not zero.</summary>
    Jset,
    /// <summary>Jump if <c>dst != src</c>.</summary>
    Jne,
    /// <summary>Jump if <c>dst &gt; src</c>, signed.</summary>
    Jsgt,
    /// <summary>Jump if <c>dst &gt;= src</c>, signed.</summary>
    Jsge,
    /// <summary>Jump if <c>dst &lt; src</c>, unsigned.</summary>
    Jlt,
    /// <summary>Jump if <c>dst &lt;= src</c>, unsigned.</summary>
    Jle,
    /// <summary>Jump if <c>dst &lt; src</c>, signed.</summary>
    Jslt,
    /// <summary>Jump if <c>dst &lt;= src</c>, signed.</summary>
    Jsle,

    // Calls.

    /// <summary>Call the helper function whose number is the immediate.</summary>
    Call,
    /// <summary>Call the BPF function at <c>pc + 1 + imm</c> (source field 1, <c>BPF_PSEUDO_CALL</c>).</summary>
    CallLocal,
    /// <summary>Call the kernel function (kfunc) whose BTF id is the immediate (source field 2).</summary>
    CallKfunc,
    /// <summary>Call the helper or function whose number or address is in the dst register (<c>callx</c>).</summary>
    Callx,
    /// <summary>Return from the current function with r0.</summary>
    Exit,

    // Memory.

    /// <summary><c>dst = *(uN *)(src + off)</c>, zero-extending.</summary>
    Load,
    /// <summary><c>dst = *(sN *)(src + off)</c>, sign-extending (ISA v4).</summary>
    LoadSx,
    /// <summary><c>*(uN *)(dst + off) = imm</c>.</summary>
    StoreImm,
    /// <summary><c>*(uN *)(dst + off) = src</c>.</summary>
    Store,

    // Atomics (class STX, mode ATOMIC; the immediate selects the operation).

    /// <summary>Atomic <c>*(dst + off) += src</c>; with fetch, src receives the old value.</summary>
    AtomicAdd,
    /// <summary>Atomic <c>*(dst + off) |= src</c>; with fetch, src receives the old value.</summary>
    AtomicOr,
    /// <summary>Atomic <c>*(dst + off) &amp;= src</c>; with fetch, src receives the old value.</summary>
    AtomicAnd,
    /// <summary>Atomic <c>*(dst + off) ^= src</c>; with fetch, src receives the old value.</summary>
    AtomicXor,
    /// <summary>Atomic exchange: src receives the old value of <c>*(dst + off)</c>, which becomes src.</summary>
    AtomicXchg,
    /// <summary>Atomic compare-and-exchange: if <c>*(dst + off) == r0</c> it becomes src; r0 receives the old value.</summary>
    AtomicCmpXchg,
    /// <summary><c>dst = load_acquire((uN *)(src + off))</c>.</summary>
    LoadAcquire,
    /// <summary><c>store_release((uN *)(dst + off), src)</c>.</summary>
    StoreRelease,

    // Wide and legacy loads (class LD).

    /// <summary>64-bit immediate load over two slots (<c>lddw</c>); the source field says what the immediate means.</summary>
    LoadImm64,
    /// <summary>Legacy packet load <c>r0 = ntoh(*(uN *)(packet + imm))</c>.</summary>
    LoadPacketAbsolute,
    /// <summary>Legacy packet load <c>r0 = ntoh(*(uN *)(packet + src + imm))</c>.</summary>
    LoadPacketIndirect,
}
