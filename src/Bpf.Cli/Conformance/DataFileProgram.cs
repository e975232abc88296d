using Bpf.Cli.Input;
using Bpf.Isa;

namespace Bpf.Cli.Conformance;

/// <summary>
/// The program of a data file. When a file has both <c>-- asm</c> and <c>-- raw</c>, both are
/// read and must encode the same instructions; the raw words are what runs (they are the exact
/// encoding the test means), and a disagreement is a malformed file.
/// </summary>
internal static class DataFileProgram
{
    /// <summary>The instruction slots of the file's program, not yet validated.</summary>
    /// <exception cref="DataFileException">The file has no program, or its asm and raw sections disagree.</exception>
    /// <exception cref="BpfException">The assembler rejects the asm section.</exception>
    public static Instruction[] Instructions(DataFile file)
    {
        if (!file.HasProgram)
            throw new DataFileException(file.Path, 0, "the file has no program (no '-- asm' or '-- raw' section with instructions)");

        Instruction[]? assembled = null;
        if (file.Asm is { } asm && !string.IsNullOrWhiteSpace(asm.Text))
            assembled = TextAssembly.AssembleInstructions(asm.Text);

        if (file.Raw is not { Count: > 0 } raw)
            return assembled!;
        if (assembled is null)
            return [.. raw];

        for (int i = 0; i < Math.Max(raw.Count, assembled.Length); i++)
        {
            string fromAsm = i < assembled.Length ? assembled[i].ToHex() : "nothing";
            string fromRaw = i < raw.Count ? raw[i].ToHex() : "nothing";
            if (fromAsm != fromRaw)
            {
                throw new DataFileException(file.Path, file.RawLine,
                    $"the '-- asm' and '-- raw' sections disagree at instruction {i}: asm gives [{fromAsm}], raw gives [{fromRaw}]");
            }
        }

        return [.. raw];
    }

    /// <summary>An assembler error's message with the line in the data file it points to.</summary>
    public static string Locate(BpfException error, DataFile file)
    {
        int line = TextAssembly.LineOf(error);
        return line > 0 && file.Asm is { } asm
            ? $"{error.Message} ({file.Path}:{asm.FileLine(line - 1)})"
            : error.Message;
    }
}
