using System.Buffers.Binary;
using Bpf.Elf;

namespace Bpf.Tests.Elf;

public class ElfFileTests
{
    private static readonly byte[] s_program =
    [
        0xb7, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, // mov r0, 42
        0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // exit
    ];

    private static byte[] Object(out int sectionHeaderOffset) =>
        new TestElfWriter { Text = s_program }.Build(out sectionHeaderOffset);

    [Test]
    public void ReadsSectionsNamesAndSymbols()
    {
        var elf = ElfFile.Parse(Object(out _));

        Assert.That(elf.Machine, Is.EqualTo(ElfFile.MachineBpf));
        Assert.That(elf.Type, Is.EqualTo(ElfFile.TypeRelocatable));
        Assert.That(elf.Sections.Select(s => s.Name), Is.EqualTo(new[] { "", ".text", ".symtab", ".strtab", ".shstrtab" }));
        var text = elf.GetSection(".text");
        Assert.That(text.Data.ToArray(), Is.EqualTo(s_program));
        Assert.That(text.IsExecutable, Is.True);
        Assert.That(text.Type, Is.EqualTo(ElfSectionType.ProgBits));

        var main = elf.FindSymbol("main");
        Assert.That(main, Is.Not.Null);
        Assert.That(main!.Binding, Is.EqualTo(ElfSymbolBinding.Global));
        Assert.That(main.Type, Is.EqualTo(ElfSymbolType.Function));
        Assert.That(main.Section, Is.SameAs(text));
        Assert.That(main.Size, Is.EqualTo((ulong)s_program.Length));
        Assert.That(elf.Symbols[0].Name, Is.Empty);
        Assert.That(elf.FindSection(".data"), Is.Null);
        Assert.That(() => elf.GetSection(".data"), Throws.TypeOf<BpfLoadException>().With.Message.Contains(".data"));
    }

    [Test]
    public void EveryTruncationIsALoadError()
    {
        var bytes = Object(out _);
        for (int length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsMemory(0, length);
            Assert.That(() => ElfFile.Parse(prefix), Throws.TypeOf<BpfLoadException>(), $"truncated to {length} bytes");
        }
    }

    [Test]
    public void CorruptedBytesGiveALoadErrorOrAFile()
    {
        var original = Object(out _);
        var random = new Random(1234);
        for (int round = 0; round < 5000; round++)
        {
            var bytes = (byte[])original.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            try
            {
                var elf = ElfFile.Parse(bytes);
                foreach (var section in elf.Sections)
                    Assert.That(section.Data.Length, Is.LessThanOrEqualTo(bytes.Length));
            }
            catch (BpfLoadException)
            {
            }
        }
    }

    [Test]
    public void RejectsOtherClassesEncodingsAndMachines()
    {
        var bytes = Object(out _);
        Assert.That(Parse(bytes, b => b[4] = 1), Throws.TypeOf<BpfLoadException>().With.Message.Contains("ELFCLASS64"));
        Assert.That(Parse(bytes, b => b[5] = 2), Throws.TypeOf<BpfLoadException>().With.Message.Contains("little-endian"));
        Assert.That(Parse(bytes, b => b[18] = 62), Throws.TypeOf<BpfLoadException>().With.Message.Contains("not BPF"));
        Assert.That(ElfFile.Parse(Patched(bytes, b => { b[18] = 0; b[19] = 0; })).Machine, Is.EqualTo(ElfFile.MachineNone), "EM_NONE, as old LLVM wrote it, is accepted");
        Assert.That(Parse(bytes, b => b[0] = 0), Throws.TypeOf<BpfLoadException>().With.Message.Contains("not an ELF file"));
    }

    [Test]
    public void HugeSectionCountIsRejectedWithoutAllocating()
    {
        var bytes = Object(out _);
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(60), 0xffff)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("sections"));
    }

    [Test]
    public void ExtendedSectionCountIsBoundedByTheFile()
    {
        var bytes = Object(out int shoff);
        // e_shnum = 0: the count is section 0's sh_size; make it absurd.
        Assert.That(Parse(bytes, b =>
            {
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(60), 0);
                BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(shoff + 32), ulong.MaxValue);
            }),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("sections"));
    }

    [Test]
    public void SectionHeaderTableOutsideTheFileIsRejected()
    {
        var bytes = Object(out _);
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(40), ulong.MaxValue - 8)),
            Throws.TypeOf<BpfLoadException>().With.Property(nameof(BpfLoadException.Offset)).EqualTo(40L));
    }

    [Test]
    public void SectionBytesOutsideTheFileAreRejectedWithTheSection()
    {
        var bytes = Object(out int shoff);
        int text = shoff + TestElfWriter.SectionHeaderSize; // header of section 1
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(text + 32), ulong.MaxValue)),
            Throws.TypeOf<BpfLoadException>().With.Property(nameof(BpfLoadException.Section)).EqualTo("#1")
                .And.Property(nameof(BpfLoadException.Offset)).EqualTo((long)text));
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(text + 24), (ulong)b.Length)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("past the end"));
    }

    [Test]
    public void BadNamesAreRejected()
    {
        var bytes = Object(out int shoff);
        int text = shoff + TestElfWriter.SectionHeaderSize;
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(text), 0x7fffffff)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("name of section #1"));
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(62), 200)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("section name table"));

        // The name table's last byte not NUL: its last name is unterminated.
        var elf = ElfFile.Parse(bytes);
        var names = elf.Sections[^1];
        int lastByte = (int)(names.FileOffset + names.Size - 1);
        Assert.That(Parse(bytes, b => b[lastByte] = (byte)'x'), Throws.TypeOf<BpfLoadException>().With.Message.Contains("not terminated"));
    }

    [Test]
    public void BadSymbolTablesAreRejected()
    {
        var writer = new TestElfWriter { Text = s_program };
        var bytes = writer.Build(out int shoff);
        int symtab = shoff + writer.SymbolTableIndex * TestElfWriter.SectionHeaderSize;
        var elf = ElfFile.Parse(bytes);
        long mainEntry = (long)elf.Sections[writer.SymbolTableIndex].FileOffset + TestElfWriter.SymbolSize;

        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(symtab + 56), 16)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("entry size"));
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(symtab + 40), 99)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("string table index"));
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan((int)mainEntry + 6), 77)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("section 77"));
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan((int)mainEntry + 6), 0xffff)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("extended section index"));
        Assert.That(Parse(bytes, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)mainEntry), 0xfffffff)),
            Throws.TypeOf<BpfLoadException>().With.Message.Contains("symbol #1"));
    }

    [Test]
    public void AbsoluteSymbolsHaveNoSection()
    {
        var writer = new TestElfWriter { Text = s_program };
        var bytes = writer.Build();
        var elf = ElfFile.Parse(bytes);
        long mainEntry = (long)elf.Sections[writer.SymbolTableIndex].FileOffset + TestElfWriter.SymbolSize;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)mainEntry + 6), ElfSymbol.AbsoluteSection);

        var main = ElfFile.Parse(bytes).Symbols[1];
        Assert.That(main.SectionIndex, Is.EqualTo(ElfSymbol.AbsoluteSection));
        Assert.That(main.Section, Is.Null);
        Assert.That(main.IsDefined, Is.True);
    }

    [Test]
    public void NoSectionHeaderTableIsAnEmptyObject()
    {
        var bytes = Object(out _);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), 0);
        var elf = ElfFile.Parse(bytes);
        Assert.That(elf.Sections, Is.Empty);
        Assert.That(elf.Symbols, Is.Empty);
    }

    private static byte[] Patched(byte[] original, Action<byte[]> patch)
    {
        var bytes = (byte[])original.Clone();
        patch(bytes);
        return bytes;
    }

    private static TestDelegate Parse(byte[] original, Action<byte[]> corrupt)
    {
        var bytes = (byte[])original.Clone();
        corrupt(bytes);
        return () => ElfFile.Parse(bytes);
    }
}
