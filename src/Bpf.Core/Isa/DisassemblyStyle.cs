namespace Bpf.Isa;

/// <summary>The way the <see cref="Disassembler"/> writes instructions.</summary>
public enum DisassemblyStyle
{
    /// <summary>
    /// The conformance suite's assembly syntax (<c>ldxw %r0, [%r1+4]</c>), which the
    /// <see cref="Assembler"/> reads back to the identical instructions.
    /// </summary>
    Conformance,

    /// <summary>
    /// The C-like syntax of llvm-objdump and the kernel (<c>r0 = *(u32 *)(r1 + 4)</c>), for people;
    /// the assembler does not read it.
    /// </summary>
    Llvm,
}
