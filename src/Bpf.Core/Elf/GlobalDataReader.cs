using Bpf.Elf.Btf;
using Bpf.Maps;

namespace Bpf.Elf;

/// <summary>
/// Global data: each data section (<c>.data</c>, <c>.rodata</c>, <c>.bss</c>, <c>.data.*</c>,
/// <c>.rodata.*</c> and other allocated non-code sections a program refers to) becomes an array map of
/// one element whose value is the section's bytes, as libbpf does. <c>.rodata*</c> sections are
/// read-only for programs (<see cref="BpfMapFlags.ReadOnlyProgram"/>).
/// </summary>
internal static class GlobalDataReader
{
    private static readonly string[] s_notData = [".maps", "license", "version", ".BTF", ".BTF.ext", ".kconfig", ".ksyms", ".llvm_addrsig"];

    /// <summary>True for a section that holds global variables.</summary>
    public static bool IsDataSection(ElfSection section)
    {
        if (section.Type is not (ElfSectionType.ProgBits or ElfSectionType.NoBits) || section.IsExecutable || section.Size == 0)
            return false;
        if ((section.Flags & ElfSectionFlags.Alloc) == 0)
            return false;
        string name = section.Name;
        return !s_notData.Contains(name) && !MapDefinitionReader.IsLegacySection(name)
            && !name.StartsWith(".debug", StringComparison.Ordinal) && !name.StartsWith(".rel", StringComparison.Ordinal);
    }

    /// <summary>True for a section programs may only read.</summary>
    public static bool IsReadOnly(string name) => name == ".rodata" || name.StartsWith(".rodata.", StringComparison.Ordinal);

    public static List<MapDefinitionReader.Located> Read(ElfFile elf, BtfData? btf)
    {
        var result = new List<MapDefinitionReader.Located>();
        foreach (var section in elf.Sections.Where(IsDataSection))
        {
            if (section.Size > int.MaxValue / 2)
                throw new BpfLoadException($"the data section is {section.Size} bytes, too large for a map value", section.Name);
            var initial = new byte[section.Size];
            if (section.Type == ElfSectionType.ProgBits)
                section.Data.Span.CopyTo(initial);
            var definition = new BpfMapDefinition
            {
                Name = section.Name,
                Type = BpfMapType.Array,
                KeySize = 4,
                ValueSize = initial.Length,
                MaxEntries = 1,
                Flags = IsReadOnly(section.Name) ? BpfMapFlags.ReadOnlyProgram : BpfMapFlags.None,
            };
            result.Add(new MapDefinitionReader.Located(
                new MapDescription
                {
                    Definition = definition, Origin = MapOrigin.GlobalData, SectionName = section.Name,
                    InitialValue = initial, Variables = Variables(elf, btf, section),
                },
                section.Index, 0, initial.Length));
        }

        return result;
    }

    /// <summary>The section's variables: from its BTF DATASEC when there is one, else from the symbol table.</summary>
    private static List<VariableDescription> Variables(ElfFile elf, BtfData? btf, ElfSection section)
    {
        var variables = new List<VariableDescription>();
        var dataSection = btf?.FindByName(section.Name).FirstOrDefault(t => t.Kind == BtfKind.DataSection);
        if (btf is not null && dataSection is not null)
        {
            foreach (var info in dataSection.Members)
            {
                var variable = btf[info.Type];
                if (variable.Kind != BtfKind.Variable)
                    continue;
                long offset = info.Offset;
                var symbol = elf.Symbols.FirstOrDefault(s => s.Section == section && s.Name == variable.Name);
                if (symbol is not null)
                    offset = (long)symbol.Value;
                if (offset < 0 || info.Value <= 0 || offset + info.Value > (long)section.Size)
                    throw new BpfLoadException($"variable {variable.Name} ({info.Value} bytes at {offset}) lies outside its {section.Size}-byte section", section.Name);
                variables.Add(new VariableDescription(variable.Name, (int)offset, (int)info.Value, variable.SizeOrType, variable.Linkage == 0));
            }

            return variables;
        }

        foreach (var symbol in elf.Symbols.Where(s => s.Section == section && s.Type == ElfSymbolType.Object && s.Name.Length > 0))
        {
            if (symbol.Value + symbol.Size > section.Size)
                throw new BpfLoadException($"variable {symbol.Name} ({symbol.Size} bytes at {symbol.Value}) lies outside its {section.Size}-byte section", section.Name);
            variables.Add(new VariableDescription(symbol.Name, (int)symbol.Value, (int)symbol.Size, 0, symbol.Binding == ElfSymbolBinding.Local));
        }

        return variables;
    }
}
