using Bpf.Isa;

namespace Bpf.Elf;

/// <summary>A function of a code section: a function symbol's range of instructions.</summary>
/// <param name="Name">The symbol's name.</param>
/// <param name="Start">The first instruction's index in the section.</param>
/// <param name="End">The index after the last instruction.</param>
/// <param name="IsGlobal">True for a global (non-static) function.</param>
internal sealed record CodeFunction(string Name, int Start, int End, bool IsGlobal);

/// <summary>A code section: its instructions (CO-RE relocations applied), functions, and relocations by instruction.</summary>
internal sealed class CodeSection
{
    public required int Index { get; init; }

    public required string Name { get; init; }

    public required Instruction[] Instructions { get; init; }

    public required IReadOnlyList<CodeFunction> Functions { get; init; }

    public required IReadOnlyDictionary<int, ElfRelocation> Relocations { get; init; }

    /// <summary>True when the section has no function symbols (then it is one program, named after the section).</summary>
    public bool IsAnonymous { get; init; }

    /// <summary>The function starting at <paramref name="instruction"/>, or null.</summary>
    public CodeFunction? FunctionAt(long instruction) => Functions.FirstOrDefault(f => f.Start == instruction);
}

/// <summary>Every code section of an object, by section index.</summary>
internal sealed class CodeSections
{
    private readonly Dictionary<int, CodeSection> _sections;

    private CodeSections(Dictionary<int, CodeSection> sections) => _sections = sections;

    /// <summary>The sections in file order.</summary>
    public IEnumerable<CodeSection> All => _sections.Values.OrderBy(s => s.Index);

    /// <summary>The code section with index <paramref name="index"/>.</summary>
    public CodeSection Get(int index) =>
        _sections.TryGetValue(index, out var section) ? section : throw new BpfLoadException($"section #{index} is not a code section");

    /// <summary>Reads every executable section: instructions, function symbols, relocations.</summary>
    public static CodeSections Read(ElfFile elf)
    {
        var sections = new Dictionary<int, CodeSection>();
        foreach (var section in elf.Sections.Where(s => s.IsExecutable && s.Type == ElfSectionType.ProgBits))
        {
            if (section.Size % 8 != 0)
                throw new BpfLoadException($"the code section's size {section.Size} is not a multiple of 8 (one instruction)", section.Name, (long)section.FileOffset);
            var instructions = Instruction.ReadAll(section.Data.Span);
            var symbols = elf.Symbols
                .Where(s => s.Section == section && s.Type == ElfSymbolType.Function)
                .OrderBy(s => s.Value)
                .ToList();
            var functions = new List<CodeFunction>();
            for (int i = 0; i < symbols.Count; i++)
            {
                var symbol = symbols[i];
                if (symbol.Value % 8 != 0 || symbol.Value >= section.Size)
                    throw new BpfLoadException($"function {symbol.Name} starts at offset {symbol.Value}, not an instruction of the section", section.Name);
                ulong end = symbol.Size > 0 ? symbol.Value + symbol.Size : i + 1 < symbols.Count ? symbols[i + 1].Value : section.Size;
                if (end > section.Size || end % 8 != 0 || end <= symbol.Value)
                    throw new BpfLoadException($"function {symbol.Name} ({symbol.Size} bytes at {symbol.Value}) does not fit the section", section.Name);
                functions.Add(new CodeFunction(symbol.Name, (int)(symbol.Value / 8), (int)(end / 8), symbol.Binding != ElfSymbolBinding.Local));
            }

            bool anonymous = functions.Count == 0 && instructions.Length > 0;
            if (anonymous)
                functions.Add(new CodeFunction(section.Name, 0, instructions.Length, true));

            var relocations = new Dictionary<int, ElfRelocation>();
            foreach (var relocation in elf.RelocationsFor(section))
            {
                if (relocation.Offset % 8 != 0)
                    throw new BpfLoadException($"a relocation at offset {relocation.Offset} is not on an instruction", relocation.SectionName, relocation.FileOffset);
                if (!relocations.TryAdd((int)(relocation.Offset / 8), relocation))
                    throw new BpfLoadException($"two relocations for instruction {relocation.Offset / 8}", relocation.SectionName, relocation.FileOffset);
            }

            sections[section.Index] = new CodeSection
            {
                Index = section.Index, Name = section.Name, Instructions = instructions, Functions = functions,
                Relocations = relocations, IsAnonymous = anonymous,
            };
        }

        return new CodeSections(sections);
    }
}
