namespace Bpf.Elf.Btf;

/// <summary>A source position of an instruction, from <c>.BTF.ext</c> line info.</summary>
/// <param name="Instruction">The instruction index (in its section, or in a linked program).</param>
/// <param name="FileName">The source file as the compiler saw it.</param>
/// <param name="Line">The line number (1-based).</param>
/// <param name="Column">The column (1-based; 0 when unknown).</param>
/// <param name="SourceText">The text of the source line, as the compiler recorded it.</param>
public sealed record BtfLineInfo(int Instruction, string FileName, int Line, int Column, string SourceText)
{
    /// <summary>The position as <c>file:line</c>, with the file's directory dropped.</summary>
    public string Location => $"{Path.GetFileName(FileName)}:{Line}";

    /// <summary>The same position at another instruction index (after linking moved the code).</summary>
    public BtfLineInfo At(int instruction) => this with { Instruction = instruction };

    /// <inheritdoc/>
    public override string ToString() => $"{Location}: {SourceText.Trim()}";
}
