using Bpf.Elf;
using Bpf.Isa;

namespace Bpf.Cli.Input;

/// <summary>
/// The program of a one-function ELF object, as the conformance runner writes with <c>--elf</c>:
/// the bytes of <c>.text</c> (or, without one, of the section that holds the global function
/// <c>main</c>). Objects that need relocating are refused until the full loader exists.
/// </summary>
internal static class ElfProgram
{
    /// <exception cref="BpfLoadException">The object is malformed, has no program, or needs relocations.</exception>
    /// <exception cref="InvalidBytecodeException">The program's instructions are not valid.</exception>
    public static Bytecode Load(ReadOnlyMemory<byte> image)
    {
        var elf = ElfFile.Parse(image);
        var text = elf.FindSection(".text");
        if (text is null || text.Size == 0)
        {
            var main = elf.FindSymbol("main");
            text = main?.Section ?? throw new BpfLoadException("the object has no .text section and no function named main");
        }

        if (text.Type != ElfSectionType.ProgBits)
            throw new BpfLoadException($"the program section has type {text.Type}, not PROGBITS", text.Name);
        if (text.Size == 0)
            throw new BpfLoadException("the program section is empty", text.Name);
        if (text.Size % Instruction.Size != 0)
            throw new BpfLoadException($"the program section's size {text.Size} is not a multiple of {Instruction.Size}", text.Name, (long)text.FileOffset);

        foreach (var section in elf.Sections)
        {
            if (section.Type is ElfSectionType.Relocations or ElfSectionType.RelocationsWithAddends
                && section.Info == (uint)text.Index && section.Size > 0)
            {
                throw new BpfLoadException(
                    $"{text.Name} has relocations (maps, globals or calls to other sections), which this loader does not apply yet",
                    section.Name);
            }
        }

        return Bytecode.Decode(text.Data.Span);
    }
}
