namespace Bpf.Isa;

/// <summary>How <see cref="Disassembler.Disassemble"/> writes a program.</summary>
/// <param name="Style">The syntax of each instruction.</param>
/// <param name="UseLabels">
/// Write jump, call and function-address targets as labels (<c>L12</c>, or the function's name)
/// and put the labels on lines of their own, instead of relative offsets like <c>+3</c>.
/// </param>
/// <param name="ShowIndices">
/// Start each instruction's line with its slot index (<c>  12: </c>), for tools and error messages;
/// the assembler does not read such lines.
/// </param>
public sealed record DisassemblerOptions(
    DisassemblyStyle Style = DisassemblyStyle.Conformance,
    bool UseLabels = false,
    bool ShowIndices = false)
{
    /// <summary>The conformance syntax with relative targets and no indices.</summary>
    public static DisassemblerOptions Default { get; } = new();
}
