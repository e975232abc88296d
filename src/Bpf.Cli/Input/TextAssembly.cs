using Bpf.Isa;

namespace Bpf.Cli.Input;

/// <summary>How <see cref="TextAssembly.Disassemble"/> writes a program.</summary>
/// <param name="Llvm">LLVM's syntax (<c>r0 = 1</c>) instead of the conformance suite's (<c>mov %r0, 1</c>).</param>
/// <param name="Labels">Jump targets as labels instead of relative offsets.</param>
/// <param name="Indices">Each line prefixed with its instruction slot.</param>
internal sealed record DisassemblyFormat(bool Llvm = false, bool Labels = false, bool Indices = false);

/// <summary>
/// The tool's one door to the text assembler and disassembler, so that commands and the
/// conformance runner do not depend on their exact shape.
/// </summary>
internal static class TextAssembly
{
    /// <summary>Assembles text into instruction slots without validating the program.</summary>
    /// <exception cref="AssemblyException">The text is not valid assembly; the exception names the line.</exception>
    public static Instruction[] AssembleInstructions(string text) => Assembler.AssembleInstructions(text);

    /// <summary>The line of the text an assembler error is on (1-based), or 0 when the error is not an assembler error.</summary>
    public static int LineOf(BpfException error) => error is AssemblyException e ? e.Line : 0;

    /// <summary>True if <paramref name="error"/> comes from the assembler.</summary>
    public static bool IsAssemblerError(BpfException error) => error is AssemblyException;

    /// <summary>Writes a program as text.</summary>
    public static string Disassemble(Bytecode bytecode, DisassemblyFormat format) =>
        Disassembler.Disassemble(bytecode, new DisassemblerOptions(
            format.Llvm ? DisassemblyStyle.Llvm : DisassemblyStyle.Conformance, format.Labels, format.Indices));
}
