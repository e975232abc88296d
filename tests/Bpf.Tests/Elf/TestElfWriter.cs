using System.Buffers.Binary;
using System.Text;

namespace Bpf.Tests.Elf;

/// <summary>
/// Writes small ELF64 little-endian BPF objects for tests: a null section, <c>.text</c>, then
/// optional extra sections, <c>.symtab</c>, <c>.strtab</c> and <c>.shstrtab</c>, with one global
/// function symbol per requested name. The layout is fixed so tests can corrupt known offsets.
/// </summary>
internal sealed class TestElfWriter
{
    public const int HeaderSize = 64;
    public const int SectionHeaderSize = 64;
    public const int SymbolSize = 24;

    private readonly List<(string Name, uint Type, byte[] Data, uint Link, uint Info, ulong EntrySize)> _extra = [];

    public byte[] Text { get; set; } = [];

    public string TextName { get; set; } = ".text";

    public List<string> Functions { get; } = ["main"];

    public ushort Machine { get; set; } = 247;

    /// <summary>Adds a section after .text (index 2, 3, ...).</summary>
    public TestElfWriter AddSection(string name, uint type, byte[] data, uint link = 0, uint info = 0, ulong entrySize = 0)
    {
        _extra.Add((name, type, data, link, info, entrySize));
        return this;
    }

    /// <summary>Index of .symtab in the written file.</summary>
    public int SymbolTableIndex => 2 + _extra.Count;

    public byte[] Build() => Build(out _);

    /// <summary>Builds the file and reports where the section header table starts.</summary>
    public byte[] Build(out int sectionHeaderOffset)
    {
        // Section names, then symbol names.
        var shstrtab = new MemoryStream();
        shstrtab.WriteByte(0);
        int NameOf(string name)
        {
            int at = (int)shstrtab.Length;
            shstrtab.Write(Encoding.UTF8.GetBytes(name));
            shstrtab.WriteByte(0);
            return at;
        }

        var sections = new List<(int Name, uint Type, ulong Flags, byte[] Data, uint Link, uint Info, ulong EntrySize)>
        {
            (0, 0, 0, [], 0, 0, 0),
            (NameOf(TextName), 1, 0x6, Text, 0, 0, 0),
        };
        foreach (var extra in _extra)
            sections.Add((NameOf(extra.Name), extra.Type, 0, extra.Data, extra.Link, extra.Info, extra.EntrySize));

        var strtab = new MemoryStream();
        strtab.WriteByte(0);
        var symtab = new byte[SymbolSize * (1 + Functions.Count)];
        for (int i = 0; i < Functions.Count; i++)
        {
            var entry = symtab.AsSpan(SymbolSize * (i + 1), SymbolSize);
            BinaryPrimitives.WriteUInt32LittleEndian(entry, (uint)strtab.Length);
            strtab.Write(Encoding.UTF8.GetBytes(Functions[i]));
            strtab.WriteByte(0);
            entry[4] = (1 << 4) | 2; // global function
            BinaryPrimitives.WriteUInt16LittleEndian(entry[6..], 1); // .text
            BinaryPrimitives.WriteUInt64LittleEndian(entry[16..], (ulong)Text.Length);
        }

        int symtabIndex = sections.Count;
        int strtabIndex = symtabIndex + 1;
        sections.Add((NameOf(".symtab"), 2, 0, symtab, (uint)strtabIndex, 1, SymbolSize));
        sections.Add((NameOf(".strtab"), 3, 0, strtab.ToArray(), 0, 0, 0));
        int shstrtabIndex = sections.Count;
        int shstrtabName = NameOf(".shstrtab");
        sections.Add((shstrtabName, 3, 0, [], 0, 0, 0));
        var last = sections[^1];
        sections[^1] = last with { Data = shstrtab.ToArray() };

        var file = new MemoryStream();
        file.Write(new byte[HeaderSize]);
        var offsets = new long[sections.Count];
        for (int i = 1; i < sections.Count; i++)
        {
            while (file.Length % 8 != 0)
                file.WriteByte(0);
            offsets[i] = file.Length;
            file.Write(sections[i].Data);
        }

        while (file.Length % 8 != 0)
            file.WriteByte(0);
        sectionHeaderOffset = (int)file.Length;
        foreach (var (section, i) in sections.Select((s, i) => (s, i)))
        {
            var header = new byte[SectionHeaderSize];
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)section.Name);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), section.Type);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), section.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), (ulong)offsets[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(32), (ulong)section.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(40), section.Link);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(44), section.Info);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(48), 8);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(56), section.EntrySize);
            file.Write(header);
        }

        var bytes = file.ToArray();
        bytes[0] = 0x7f;
        bytes[1] = (byte)'E';
        bytes[2] = (byte)'L';
        bytes[3] = (byte)'F';
        bytes[4] = 2; // ELFCLASS64
        bytes[5] = 1; // little-endian
        bytes[6] = 1; // version
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(16), 1); // ET_REL
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), (ulong)sectionHeaderOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(52), HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(58), SectionHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(60), (ushort)sections.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(62), (ushort)shstrtabIndex);
        return bytes;
    }
}
