namespace Bpf.Elf;

/// <summary>One entry of an <see cref="ElfFile"/>'s symbol table.</summary>
public sealed class ElfSymbol
{
    /// <summary><c>SHN_UNDEF</c>: the symbol is not defined in this file.</summary>
    public const int UndefinedSection = 0;

    /// <summary><c>SHN_ABS</c>: the value is absolute, not relative to a section.</summary>
    public const int AbsoluteSection = 0xfff1;

    /// <summary><c>SHN_COMMON</c>: a common block not yet allocated.</summary>
    public const int CommonSection = 0xfff2;

    internal ElfSymbol(int index, string name, ulong value, ulong size, ElfSymbolBinding binding, ElfSymbolType type,
        byte visibility, int sectionIndex, ElfSection? section)
    {
        Index = index;
        Name = name;
        Value = value;
        Size = size;
        Binding = binding;
        Type = type;
        Visibility = visibility;
        SectionIndex = sectionIndex;
        Section = section;
    }

    /// <summary>The symbol's index in the symbol table (0 is the null symbol).</summary>
    public int Index { get; }

    /// <summary>The name from the symbol string table.</summary>
    public string Name { get; }

    /// <summary><c>st_value</c>: in a relocatable object, the offset inside its section.</summary>
    public ulong Value { get; }

    /// <summary><c>st_size</c>: the size of the object or function in bytes.</summary>
    public ulong Size { get; }

    /// <summary>The binding (high nibble of <c>st_info</c>).</summary>
    public ElfSymbolBinding Binding { get; }

    /// <summary>The type (low nibble of <c>st_info</c>).</summary>
    public ElfSymbolType Type { get; }

    /// <summary>The visibility (low two bits of <c>st_other</c>): 0 default, 1 internal, 2 hidden, 3 protected.</summary>
    public byte Visibility { get; }

    /// <summary>
    /// The index of the section the symbol is defined in, already resolved through
    /// <c>SHT_SYMTAB_SHNDX</c> when the file uses extended indices; or one of
    /// <see cref="UndefinedSection"/>, <see cref="AbsoluteSection"/>, <see cref="CommonSection"/>.
    /// </summary>
    public int SectionIndex { get; }

    /// <summary>The section the symbol is defined in, or null for undefined, absolute and common symbols.</summary>
    public ElfSection? Section { get; }

    /// <summary>True if the symbol is defined in this file.</summary>
    public bool IsDefined => SectionIndex != UndefinedSection;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Binding} {Type}, section {SectionIndex}, value 0x{Value:x}, size {Size})";
}
