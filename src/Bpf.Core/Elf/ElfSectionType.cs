namespace Bpf.Elf;

/// <summary>The section types (<c>sh_type</c>) a BPF object uses; other values pass through as numbers.</summary>
public enum ElfSectionType : uint
{
    /// <summary><c>SHT_NULL</c>: the unused section header 0.</summary>
    Null = 0,
    /// <summary><c>SHT_PROGBITS</c>: code or initialized data.</summary>
    ProgBits = 1,
    /// <summary><c>SHT_SYMTAB</c>: the symbol table.</summary>
    SymbolTable = 2,
    /// <summary><c>SHT_STRTAB</c>: a string table.</summary>
    StringTable = 3,
    /// <summary><c>SHT_RELA</c>: relocations with addends.</summary>
    RelocationsWithAddends = 4,
    /// <summary><c>SHT_NOBITS</c>: zero-initialized data that takes no room in the file (<c>.bss</c>).</summary>
    NoBits = 8,
    /// <summary><c>SHT_REL</c>: relocations without addends (what clang emits for BPF).</summary>
    Relocations = 9,
    /// <summary><c>SHT_SYMTAB_SHNDX</c>: extended section indices of symbols.</summary>
    SymbolTableIndices = 18,
}
