using System.Buffers.Binary;
using System.Text;

namespace Bpf.Elf;

/// <summary>
/// A parsed ELF64 little-endian object file for BPF (<c>EM_BPF</c>): the header, the section
/// headers with their names and bytes, and the symbol table. The reader trusts nothing in the
/// file: every offset, size, count and index is checked against the bytes that are really
/// there before it is used, so a truncated or hostile file gives a <see cref="BpfLoadException"/>
/// that names the section or offset, and no count in the file can make the reader allocate more
/// than a small multiple of the file's own size. Section bytes are slices of the image, not copies.
/// </summary>
/// <remarks>
/// This is the first stage of loading. Relocations, BTF, maps and programs are read from these
/// sections by the stages that need them.
/// </remarks>
public sealed class ElfFile
{
    /// <summary><c>EM_BPF</c>: the machine number of BPF objects.</summary>
    public const ushort MachineBpf = 247;

    /// <summary><c>ET_REL</c>: a relocatable object, what <c>clang -target bpf -c</c> writes.</summary>
    public const ushort TypeRelocatable = 1;

    /// <summary><c>EM_NONE</c>, which very old LLVM versions wrote into BPF objects.</summary>
    public const ushort MachineNone = 0;

    private const int RelocationSize = 16;
    private const int RelocationWithAddendSize = 24;

    private const int HeaderSize = 64;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const int ReservedSectionIndices = 0xff00; // SHN_LORESERVE
    private const int ExtendedIndex = 0xffff; // SHN_XINDEX

    private readonly ReadOnlyMemory<byte> _image;
    private readonly Dictionary<string, ElfSection> _sectionsByName = new(StringComparer.Ordinal);

    private ElfFile(ReadOnlyMemory<byte> image, ushort type, ushort machine, List<ElfSection> sections, List<ElfSymbol> symbols)
    {
        _image = image;
        Type = type;
        Machine = machine;
        Sections = sections;
        Symbols = symbols;
        foreach (var section in sections)
        {
            // The first section of a name wins: names are not unique in ELF, but lookups by name
            // are only made for names a BPF toolchain writes once.
            if (section.Name.Length > 0)
                _sectionsByName.TryAdd(section.Name, section);
        }
    }

    /// <summary><c>e_type</c> (<see cref="TypeRelocatable"/> for BPF objects).</summary>
    public ushort Type { get; }

    /// <summary><c>e_machine</c> (always <see cref="MachineBpf"/>: the reader rejects others).</summary>
    public ushort Machine { get; }

    /// <summary>Every section, by index; section 0 is the null section.</summary>
    public IReadOnlyList<ElfSection> Sections { get; }

    /// <summary>The symbol table, by index (symbol 0 is the null symbol); empty when the file has none.</summary>
    public IReadOnlyList<ElfSymbol> Symbols { get; }

    /// <summary>The whole file.</summary>
    public ReadOnlyMemory<byte> Image => _image;

    /// <summary>True if <paramref name="bytes"/> starts with the ELF magic number.</summary>
    public static bool HasElfMagic(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 4 && bytes[0] == 0x7f && bytes[1] == (byte)'E' && bytes[2] == (byte)'L' && bytes[3] == (byte)'F';

    /// <summary>The section named <paramref name="name"/>, or null.</summary>
    public ElfSection? FindSection(string name) => _sectionsByName.GetValueOrDefault(name);

    /// <summary>The section named <paramref name="name"/>.</summary>
    /// <exception cref="BpfLoadException">There is no such section.</exception>
    public ElfSection GetSection(string name) =>
        FindSection(name) ?? throw new BpfLoadException($"the object has no section named {name}");

    /// <summary>The first defined symbol named <paramref name="name"/>, or null.</summary>
    public ElfSymbol? FindSymbol(string name)
    {
        foreach (var symbol in Symbols)
        {
            if (symbol.IsDefined && symbol.Name == name)
                return symbol;
        }

        return null;
    }

    /// <summary>
    /// The relocations that apply to <paramref name="target"/>: the entries of every <c>SHT_REL</c> and
    /// <c>SHT_RELA</c> section whose <c>sh_info</c> names it, in file order. For <c>SHT_REL</c> the addend
    /// is implicit (in the relocated bytes) and <see cref="ElfRelocation.Addend"/> is 0.
    /// </summary>
    /// <exception cref="BpfLoadException">A relocation section is malformed or names a symbol or offset that does not exist.</exception>
    public IReadOnlyList<ElfRelocation> RelocationsFor(ElfSection target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var relocations = new List<ElfRelocation>();
        foreach (var section in Sections)
        {
            if (section.Type is not (ElfSectionType.Relocations or ElfSectionType.RelocationsWithAddends) || section.Info != (uint)target.Index)
                continue;
            bool withAddend = section.Type == ElfSectionType.RelocationsWithAddends;
            int entrySize = withAddend ? RelocationWithAddendSize : RelocationSize;
            if (section.Size % (ulong)entrySize != 0)
                throw new BpfLoadException($"the relocation section's size {section.Size} is not a multiple of its {entrySize}-byte entries", section.Name, (long)section.FileOffset);
            var data = section.Data.Span;
            for (int at = 0; at + entrySize <= data.Length; at += entrySize)
            {
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(data[at..]);
                ulong info = BinaryPrimitives.ReadUInt64LittleEndian(data[(at + 8)..]);
                long addend = withAddend ? BinaryPrimitives.ReadInt64LittleEndian(data[(at + 16)..]) : 0;
                uint symbolIndex = (uint)(info >> 32);
                long where = (long)section.FileOffset + at;
                if (symbolIndex >= (uint)Symbols.Count)
                    throw new BpfLoadException($"relocation #{at / entrySize} names symbol {symbolIndex}, but the symbol table has {Symbols.Count}", section.Name, where);
                if (offset >= target.Size)
                    throw new BpfLoadException($"relocation #{at / entrySize} is at offset 0x{offset:x}, past the end of the {target.Size}-byte section {target.Name}", section.Name, where);
                relocations.Add(new ElfRelocation(offset, Symbols[(int)symbolIndex], (uint)info, addend, section.Name, where, withAddend));
            }
        }

        return relocations;
    }

    /// <summary>Parses an ELF64 little-endian BPF object. The file is not copied: keep it unchanged while the result is in use.</summary>
    /// <exception cref="BpfLoadException">The file is not a well-formed ELF64 little-endian BPF object.</exception>
    public static ElfFile Parse(ReadOnlyMemory<byte> image)
    {
        var bytes = image.Span;
        if (bytes.Length < 4 || !HasElfMagic(bytes))
            throw new BpfLoadException("not an ELF file (the magic number \\x7fELF is missing)", offset: 0);
        if (bytes.Length < HeaderSize)
            throw new BpfLoadException($"the file is {bytes.Length} bytes, too short for the {HeaderSize}-byte ELF64 header", offset: bytes.Length);
        if (bytes[4] != 2)
            throw new BpfLoadException($"ELF class {bytes[4]} is not ELFCLASS64 (2): BPF objects are 64-bit", offset: 4);
        if (bytes[5] != 1)
            throw new BpfLoadException($"data encoding {bytes[5]} is not little-endian (1); big-endian BPF objects are not supported", offset: 5);
        if (bytes[6] != 1)
            throw new BpfLoadException($"ELF identification version {bytes[6]} is not 1", offset: 6);

        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(bytes[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
        // Very old LLVM wrote EM_NONE (0) into BPF objects; libbpf accepts both.
        if (machine is not (MachineBpf or MachineNone))
            throw new BpfLoadException($"machine {machine} is not BPF ({MachineBpf}, or 0 as old LLVM wrote it)", offset: 18);

        ulong sectionHeaderOffset = BinaryPrimitives.ReadUInt64LittleEndian(bytes[40..]);
        ushort sectionHeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(bytes[58..]);
        long sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(bytes[60..]);
        int nameTableIndex = BinaryPrimitives.ReadUInt16LittleEndian(bytes[62..]);

        var sections = new List<ElfSection>();
        var symbols = new List<ElfSymbol>();
        if (sectionHeaderOffset == 0)
        {
            // No section header table: nothing to load, but not malformed either.
            return new ElfFile(image, type, machine, sections, symbols);
        }

        if (sectionHeaderSize != SectionHeaderSize)
            throw new BpfLoadException($"section header size {sectionHeaderSize} is not {SectionHeaderSize}", offset: 58);
        if (sectionHeaderOffset > (ulong)bytes.Length || (ulong)bytes.Length - sectionHeaderOffset < SectionHeaderSize)
            throw new BpfLoadException($"the section header table at 0x{sectionHeaderOffset:x} lies outside the {bytes.Length}-byte file", offset: 40);

        // Counts that do not fit the header fields live in section 0 (the ELF "extended numbering").
        var first = bytes.Slice((int)sectionHeaderOffset, SectionHeaderSize);
        if (sectionCount == 0)
        {
            ulong extended = BinaryPrimitives.ReadUInt64LittleEndian(first[32..]);
            sectionCount = extended > int.MaxValue ? long.MaxValue : (long)extended;
        }

        if (nameTableIndex == ExtendedIndex)
            nameTableIndex = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(first[40..]), int.MaxValue);

        ulong tableBytes = (ulong)bytes.Length - sectionHeaderOffset;
        if (sectionCount <= 0 || (ulong)sectionCount > tableBytes / SectionHeaderSize)
        {
            throw new BpfLoadException(
                $"the section header table at 0x{sectionHeaderOffset:x} claims {sectionCount} sections of {SectionHeaderSize} bytes, but only {tableBytes / SectionHeaderSize} fit in the file",
                offset: (long)sectionHeaderOffset);
        }

        var headers = new RawSectionHeader[sectionCount];
        for (int i = 0; i < headers.Length; i++)
        {
            long at = (long)sectionHeaderOffset + (long)i * SectionHeaderSize;
            headers[i] = RawSectionHeader.Read(bytes.Slice((int)at, SectionHeaderSize), at);
        }

        if (nameTableIndex != 0 && nameTableIndex >= headers.Length)
            throw new BpfLoadException($"the section name table index {nameTableIndex} is not one of the {headers.Length} sections", offset: 62);

        for (int i = 0; i < headers.Length; i++)
            CheckSectionBounds(headers[i], i, bytes.Length);
        CheckOverlaps(headers, (long)sectionHeaderOffset);

        for (int i = 0; i < headers.Length; i++)
        {
            ref readonly var header = ref headers[i];
            string name = i == 0 || nameTableIndex == 0
                ? ""
                : ReadString(bytes, headers[nameTableIndex], $"#{nameTableIndex} (section names)", header.Name, $"the name of section #{i}");
            var data = i == 0 || header.Type is ElfSectionType.NoBits or ElfSectionType.Null
                ? ReadOnlyMemory<byte>.Empty
                : image.Slice((int)header.Offset, (int)header.Size);
            sections.Add(new ElfSection(i, name, header.Type, (ElfSectionFlags)header.Flags, header.Address,
                header.Offset, header.Size, header.Link, header.Info, header.Alignment, header.EntrySize, data));
        }

        ReadSymbols(bytes, headers, sections, symbols);
        return new ElfFile(image, type, machine, sections, symbols);
    }

    /// <summary>
    /// Sections with bytes in the file must not overlap each other, the ELF header or the section
    /// header table: a linker never writes that, and a hostile file could make one section's bytes
    /// mean two things.
    /// </summary>
    private static void CheckOverlaps(RawSectionHeader[] headers, long tableOffset)
    {
        var ranges = new List<(ulong Start, ulong End, string What)>
        {
            (0, HeaderSize, "the ELF header"),
            ((ulong)tableOffset, (ulong)tableOffset + (ulong)headers.Length * SectionHeaderSize, "the section header table"),
        };
        for (int i = 1; i < headers.Length; i++)
        {
            if (headers[i].Type is ElfSectionType.NoBits or ElfSectionType.Null || headers[i].Size == 0)
                continue;
            ranges.Add((headers[i].Offset, headers[i].Offset + headers[i].Size, $"section #{i}"));
        }

        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (int i = 1; i < ranges.Count; i++)
        {
            if (ranges[i].Start < ranges[i - 1].End)
                throw new BpfLoadException($"{ranges[i].What} (bytes 0x{ranges[i].Start:x}-0x{ranges[i].End:x}) overlaps {ranges[i - 1].What} (bytes 0x{ranges[i - 1].Start:x}-0x{ranges[i - 1].End:x})", offset: (long)ranges[i].Start);
        }
    }

    private static void CheckSectionBounds(in RawSectionHeader header, int index, int fileLength)
    {
        if (index == 0 || header.Type is ElfSectionType.NoBits or ElfSectionType.Null)
            return;
        if (header.Offset > (ulong)fileLength || header.Size > (ulong)fileLength - header.Offset)
        {
            throw new BpfLoadException(
                $"the section's {header.Size} bytes at file offset 0x{header.Offset:x} extend past the end of the {fileLength}-byte file",
                $"#{index}", header.HeaderOffset);
        }
    }

    private static void ReadSymbols(ReadOnlySpan<byte> bytes, RawSectionHeader[] headers, List<ElfSection> sections, List<ElfSymbol> symbols)
    {
        int tableIndex = -1;
        for (int i = 1; i < headers.Length; i++)
        {
            if (headers[i].Type != ElfSectionType.SymbolTable)
                continue;
            if (tableIndex >= 0)
                throw new BpfLoadException($"a second symbol table (the first is section #{tableIndex}); ELF allows one", sections[i].Name);
            tableIndex = i;
        }

        if (tableIndex < 0)
            return;

        var table = headers[tableIndex];
        string tableName = sections[tableIndex].Name;
        if (table.EntrySize != SymbolSize)
            throw new BpfLoadException($"symbol entry size {table.EntrySize} is not {SymbolSize}", tableName, table.HeaderOffset);
        if (table.Size % SymbolSize != 0)
            throw new BpfLoadException($"the symbol table's size {table.Size} is not a multiple of {SymbolSize}", tableName, table.HeaderOffset);
        if (table.Link == 0 || table.Link >= (uint)headers.Length)
            throw new BpfLoadException($"the symbol table's string table index {table.Link} is not one of the {headers.Length} sections", tableName, table.HeaderOffset);
        var strings = headers[table.Link];
        string stringsName = sections[(int)table.Link].Name;

        // Extended section indices of symbols, if the file needs them: a parallel table of 32-bit words.
        RawSectionHeader? indices = null;
        for (int i = 1; i < headers.Length; i++)
        {
            if (headers[i].Type == ElfSectionType.SymbolTableIndices && headers[i].Link == (uint)tableIndex)
                indices = headers[i];
        }

        int count = (int)(table.Size / SymbolSize);
        for (int i = 0; i < count; i++)
        {
            long at = (long)table.Offset + (long)i * SymbolSize;
            var entry = bytes.Slice((int)at, SymbolSize);
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            byte info = entry[4];
            byte other = entry[5];
            int sectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(entry[16..]);
            string name = i == 0 ? "" : ReadString(bytes, strings, stringsName, nameOffset, $"the name of symbol #{i}");

            bool special = sectionIndex >= ReservedSectionIndices && sectionIndex != ExtendedIndex; // SHN_ABS, SHN_COMMON, ...
            if (sectionIndex == ExtendedIndex)
            {
                if (indices is not { } extended)
                    throw new BpfLoadException($"symbol #{i} ({name}) uses an extended section index, but the file has no SHT_SYMTAB_SHNDX table", tableName, at);
                ulong slot = (ulong)i * 4;
                if (slot + 4 > extended.Size)
                    throw new BpfLoadException($"symbol #{i} ({name}) has no entry in the extended section index table", tableName, at);
                uint real = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(int)(extended.Offset + slot)..]);
                sectionIndex = real > int.MaxValue ? int.MaxValue : (int)real;
            }

            if (!special && sectionIndex >= headers.Length)
                throw new BpfLoadException($"symbol #{i} ({name}) is defined in section {sectionIndex}, which does not exist", tableName, at);

            var section = special || sectionIndex == ElfSymbol.UndefinedSection ? null : sections[sectionIndex];
            symbols.Add(new ElfSymbol(i, name, value, size, (ElfSymbolBinding)(info >> 4), (ElfSymbolType)(info & 0xf),
                (byte)(other & 3), sectionIndex, section));
        }
    }

    private static string ReadString(ReadOnlySpan<byte> bytes, in RawSectionHeader table, string tableName, uint offset, string what)
    {
        if (table.Type == ElfSectionType.NoBits)
            throw new BpfLoadException($"the string table for {what} has no bytes in the file", tableName, table.HeaderOffset);
        if (table.Offset > (ulong)bytes.Length || table.Size > (ulong)bytes.Length - table.Offset)
            throw new BpfLoadException($"the string table for {what} extends past the end of the file", tableName, table.HeaderOffset);
        if (offset >= table.Size)
            throw new BpfLoadException($"{what} is at offset {offset}, past the end of the {table.Size}-byte string table", tableName, (long)table.Offset);
        var rest = bytes.Slice((int)(table.Offset + offset), (int)(table.Size - offset));
        int end = rest.IndexOf((byte)0);
        if (end < 0)
            throw new BpfLoadException($"{what} at offset {offset} is not terminated inside the string table", tableName, (long)(table.Offset + offset));
        return Encoding.UTF8.GetString(rest[..end]);
    }

    /// <summary>A section header as the file states it, with where it was read, before anything is trusted.</summary>
    private readonly record struct RawSectionHeader(
        uint Name, ElfSectionType Type, ulong Flags, ulong Address, ulong Offset, ulong Size,
        uint Link, uint Info, ulong Alignment, ulong EntrySize, long HeaderOffset)
    {
        public static RawSectionHeader Read(ReadOnlySpan<byte> header, long at) => new(
            BinaryPrimitives.ReadUInt32LittleEndian(header),
            (ElfSectionType)BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[32..]),
            BinaryPrimitives.ReadUInt32LittleEndian(header[40..]),
            BinaryPrimitives.ReadUInt32LittleEndian(header[44..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[48..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[56..]),
            at);
    }
}
