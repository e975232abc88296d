using System.Buffers.Binary;
using Bpf.Elf;

namespace Bpf.Tests.Elf;

/// <summary>
/// Rewrites an object's <c>SHT_REL</c> sections as <c>SHT_RELA</c> (as other toolchains write them):
/// each entry gets an explicit addend taken out of the relocated <c>lddw</c> (whose immediate becomes
/// 0), the new entries are appended to the file and the section headers point at them.
/// </summary>
internal static class RelaObjects
{
    public static byte[] Convert(byte[] original)
    {
        var elf = ElfFile.Parse(original);
        var output = new List<byte>(original);
        var bytes = (byte[])original.Clone();
        ulong table = BinaryPrimitives.ReadUInt64LittleEndian(original.AsSpan(40));
        var patches = new List<(int Header, ulong Offset, ulong Size)>();
        foreach (var section in elf.Sections.Where(s => s.Type == ElfSectionType.Relocations))
        {
            var target = elf.Sections[(int)section.Info];
            var rela = new List<byte>();
            var data = section.Data.Span;
            for (int at = 0; at + 16 <= data.Length; at += 16)
            {
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(data[at..]);
                ulong info = BinaryPrimitives.ReadUInt64LittleEndian(data[(at + 8)..]);
                long addend = 0;
                if (target.IsExecutable && bytes[(int)target.FileOffset + (int)offset] == 0x18)
                {
                    // Move the lddw's implicit addend into the entry.
                    var immediate = bytes.AsSpan((int)target.FileOffset + (int)offset + 4, 4);
                    addend = BinaryPrimitives.ReadInt32LittleEndian(immediate);
                    BinaryPrimitives.WriteInt32LittleEndian(immediate, 0);
                }

                var entry = new byte[24];
                BinaryPrimitives.WriteUInt64LittleEndian(entry, offset);
                BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(8), info);
                BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(16), addend);
                rela.AddRange(entry);
            }

            patches.Add((section.Index, (ulong)(bytes.Length + output.Count - original.Length), (ulong)rela.Count));
            output.AddRange(rela);
        }

        var result = bytes.Concat(output.Skip(original.Length)).ToArray();
        foreach (var (index, offset, size) in patches)
        {
            var header = result.AsSpan((int)table + index * 64);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)ElfSectionType.RelocationsWithAddends);
            BinaryPrimitives.WriteUInt64LittleEndian(header[24..], offset);
            BinaryPrimitives.WriteUInt64LittleEndian(header[32..], size);
            BinaryPrimitives.WriteUInt64LittleEndian(header[56..], 24);
        }

        return result;
    }
}
