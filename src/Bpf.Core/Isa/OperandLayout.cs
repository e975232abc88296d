namespace Bpf.Isa;

/// <summary>
/// How an instruction's operands are written in the assembly text of the conformance suite,
/// and so which fields carry them.
/// </summary>
public enum OperandLayout : byte
{
    /// <summary>No operands: <c>exit</c>.</summary>
    None,
    /// <summary><c>add %r0, %r1</c>.</summary>
    DstSrc,
    /// <summary><c>add %r0, 5</c>.</summary>
    DstImm,
    /// <summary><c>neg %r0</c>, <c>be16 %r0</c>.</summary>
    Dst,
    /// <summary><c>ldxw %r0, [%r1+4]</c>.</summary>
    DstMemory,
    /// <summary><c>stw [%r1+4], 5</c>.</summary>
    MemoryImm,
    /// <summary><c>stxw [%r1+4], %r2</c>, <c>lock add [%r10-8], %r1</c>.</summary>
    MemorySrc,
    /// <summary><c>ja +3</c> (offset field) or <c>ja label</c>.</summary>
    Jump,
    /// <summary><c>ja32 +3</c> (immediate field) or <c>ja32 label</c>.</summary>
    Jump32,
    /// <summary><c>jeq %r0, 5, +3</c>.</summary>
    ConditionImm,
    /// <summary><c>jeq %r0, %r1, +3</c>.</summary>
    ConditionReg,
    /// <summary><c>call 5</c>.</summary>
    CallHelper,
    /// <summary><c>call local +3</c> or <c>call local label</c>.</summary>
    CallLocal,
    /// <summary><c>call kfunc 1234</c>; a non-zero offset (the BTF of a kernel module) follows: <c>call kfunc 1234, 2</c>.</summary>
    CallKfunc,
    /// <summary><c>call %r2</c>.</summary>
    CallRegister,
    /// <summary><c>lddw %r0, 0x1122334455667788</c>.</summary>
    Imm64,
    /// <summary><c>lddw %r1, map_fd(3)</c>, <c>lddw %r1, map_value(3+16)</c> and the other pseudo sources.</summary>
    Imm64Pseudo,
    /// <summary><c>ldabsw 12</c>.</summary>
    PacketAbsolute,
    /// <summary><c>ldindw %r1, 12</c>.</summary>
    PacketIndirect,
    /// <summary><c>addr_space_cast %r0, %r1, 0, 1</c>: destination and source address spaces in the immediate's halves.</summary>
    AddressSpaceCast,
}
