namespace Bpf.Isa;

/// <summary>The fields of an instruction other than the opcode, as flags.</summary>
[Flags]
public enum InstructionFields : byte
{
    /// <summary>No field.</summary>
    None = 0,
    /// <summary>The destination register field.</summary>
    Dst = 1,
    /// <summary>The source register field.</summary>
    Src = 2,
    /// <summary>The 16-bit offset field.</summary>
    Offset = 4,
    /// <summary>The 32-bit immediate field.</summary>
    Immediate = 8,
    /// <summary>Every field.</summary>
    All = Dst | Src | Offset | Immediate,
}
