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
    /// <summary>True if the assembler is part of this build.</summary>
    public static bool IsAvailable => false;

    /// <summary>Assembles text into instruction slots without validating the program.</summary>
    /// <exception cref="BpfException">The text is not valid assembly (the assembler's exception names the line).</exception>
    public static Instruction[] AssembleInstructions(string text) =>
        throw new ToolUnavailableException("the assembler is not available in this build");

    /// <summary>The line of the text an assembler error is on (1-based), or 0 when the error is not an assembler error or has none.</summary>
    public static int LineOf(BpfException error) => 0;

    /// <summary>True if <paramref name="error"/> comes from the assembler.</summary>
    public static bool IsAssemblerError(BpfException error) => false;

    /// <summary>Writes a program as text.</summary>
    public static string Disassemble(Bytecode bytecode, DisassemblyFormat format) =>
        throw new ToolUnavailableException("the disassembler is not available in this build");
}
