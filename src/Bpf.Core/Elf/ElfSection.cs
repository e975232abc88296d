namespace Bpf.Elf;

/// <summary>
/// One section of an <see cref="ElfFile"/>: its header fields as the file states them, its
/// resolved name, and its bytes. The reader has checked that the bytes lie inside the file.
/// </summary>
public sealed class ElfSection
{
    internal ElfSection(int index, string name, ElfSectionType type, ElfSectionFlags flags, ulong address,
        ulong fileOffset, ulong size, uint link, uint info, ulong alignment, ulong entrySize, ReadOnlyMemory<byte> data)
    {
        Index = index;
        Name = name;
        Type = type;
        Flags = flags;
        Address = address;
        FileOffset = fileOffset;
        Size = size;
        Link = link;
        Info = info;
        Alignment = alignment;
        EntrySize = entrySize;
        Data = data;
    }

    /// <summary>The section's index in the section header table (0 is the null section).</summary>
    public int Index { get; }

    /// <summary>The name from the section name string table (empty when the file has none).</summary>
    public string Name { get; }

    /// <summary><c>sh_type</c>.</summary>
    public ElfSectionType Type { get; }

    /// <summary><c>sh_flags</c>.</summary>
    public ElfSectionFlags Flags { get; }

    /// <summary><c>sh_addr</c>: the address in memory (0 in relocatable objects).</summary>
    public ulong Address { get; }

    /// <summary><c>sh_offset</c>: where the bytes start in the file.</summary>
    public ulong FileOffset { get; }

    /// <summary>
    /// <c>sh_size</c>: the size in bytes. For <see cref="ElfSectionType.NoBits"/> it is the size
    /// in memory, which the file does not back: whoever allocates it must apply its own limit.
    /// </summary>
    public ulong Size { get; }

    /// <summary><c>sh_link</c>: a related section's index (the string table of a symbol table, the symbol table of a relocation section).</summary>
    public uint Link { get; }

    /// <summary><c>sh_info</c>: extra information (the section a relocation section applies to; one past the last local symbol).</summary>
    public uint Info { get; }

    /// <summary><c>sh_addralign</c>.</summary>
    public ulong Alignment { get; }

    /// <summary><c>sh_entsize</c>: the size of one entry for tables, else 0.</summary>
    public ulong EntrySize { get; }

    /// <summary>The section's bytes in the file; empty for <see cref="ElfSectionType.NoBits"/>.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>True if the section holds instructions (<c>SHF_EXECINSTR</c>).</summary>
    public bool IsExecutable => (Flags & ElfSectionFlags.ExecInstr) != 0;

    /// <inheritdoc/>
    public override string ToString() => $"[{Index}] {Name} ({Type}, {Size} bytes)";
}
