using System.Buffers.Binary;
using System.Text;
using Bpf.Elf.Btf;

namespace Bpf.Elf;

/// <summary>
/// A BPF object file as clang and libbpf produce it, read and linked: its programs (each with the
/// subprograms it calls), its maps (BTF-defined, legacy, global data), the kfuncs its programs call,
/// its license, version, BTF and BTF.ext. Nothing is created yet: <c>Bpf.Runtime.BpfObject</c>
/// makes maps and programs from this description.
/// </summary>
public sealed class BpfObjectFile
{
    private BpfObjectFile()
    {
    }

    /// <summary>The object's name (the file name without extension, or what the caller gave).</summary>
    public required string Name { get; init; }

    /// <summary>The programs, in section and symbol order.</summary>
    public required IReadOnlyList<ProgramDescription> Programs { get; init; }

    /// <summary>The maps; <c>lddw</c> map indices in the programs refer to this list.</summary>
    public required IReadOnlyList<MapDescription> Maps { get; init; }

    /// <summary>The kfuncs the programs call, by name; kfunc call immediates refer to this list.</summary>
    public required IReadOnlyList<string> Kfuncs { get; init; }

    /// <summary>The <c>license</c> section's string, or null.</summary>
    public string? License { get; init; }

    /// <summary>The <c>version</c> section's kernel version, or null.</summary>
    public uint? KernelVersion { get; init; }

    /// <summary>The object's BTF, or null when it has none (compiled without <c>-g</c>).</summary>
    public BtfData? Btf { get; init; }

    /// <summary>The object's BTF.ext (empty when it has none).</summary>
    public BtfExtension BtfExtension { get; init; } = BtfExtension.Empty;

    /// <summary>Reads and links an object file.</summary>
    /// <param name="image">The file's bytes.</param>
    /// <param name="name">The object's name.</param>
    /// <param name="isKfunc">Whether an undefined function name is a kfunc the host provides (memset and friends are kfuncs too).</param>
    /// <param name="coreTarget">The BTF CO-RE relocations are resolved against; null for the object's own.</param>
    /// <exception cref="BpfLoadException">The file is malformed or refers to something that cannot be resolved; the message says what and where.</exception>
    public static BpfObjectFile Read(ReadOnlyMemory<byte> image, string name, Func<string, bool> isKfunc, BtfData? coreTarget = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(isKfunc);
        var elf = ElfFile.Parse(image);
        if (elf.Type != ElfFile.TypeRelocatable)
            throw new BpfLoadException($"ELF type {elf.Type} is not a relocatable object (ET_REL, 1): link-time BPF objects only", offset: 16);

        var btfSection = elf.FindSection(".BTF");
        var btf = btfSection is null ? null : BtfData.Parse(btfSection.Data.Span);
        var extSection = elf.FindSection(".BTF.ext");
        var ext = extSection is not null && btf is not null ? BtfExtension.Parse(extSection.Data.Span, btf) : BtfExtension.Empty;

        var located = new List<MapDefinitionReader.Located>();
        located.AddRange(MapDefinitionReader.ReadBtfMaps(elf, btf));
        located.AddRange(MapDefinitionReader.ReadLegacyMaps(elf));
        located.AddRange(GlobalDataReader.Read(elf, btf));
        var duplicate = located.GroupBy(m => m.Description.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new BpfLoadException($"two maps are called {duplicate.Key}");

        var code = CodeSections.Read(elf);
        if (btf is not null)
        {
            var relocator = new CoreRelocator(btf, coreTarget);
            foreach (var section in code.All)
            {
                if (ext.CoreRelocations.TryGetValue(section.Name, out var relocations))
                    relocator.Apply(section.Name, section.Instructions, relocations);
            }
        }

        var kfuncs = new List<string>();
        int KfuncIndex(string function)
        {
            if (!isKfunc(function))
                return -1;
            int index = kfuncs.IndexOf(function);
            if (index < 0)
            {
                index = kfuncs.Count;
                kfuncs.Add(function);
            }

            return index;
        }

        (int Map, long Offset)? FindMap(ElfSymbol symbol, long addend)
        {
            long at = symbol.Type == ElfSymbolType.Section ? addend : (long)symbol.Value;
            for (int i = 0; i < located.Count; i++)
            {
                var map = located[i];
                if (symbol.SectionIndex != map.SectionIndex)
                    continue;
                if (map.Description.Origin == MapOrigin.GlobalData)
                {
                    long offset = symbol.Type == ElfSymbolType.Section ? addend : (long)symbol.Value + addend;
                    if (offset < 0 || offset >= map.Size)
                        throw new BpfLoadException($"a reference to {symbol.Name}+{addend} is outside the {map.Size}-byte data section", map.Description.SectionName);
                    return (i, offset);
                }

                if (at >= map.Offset && at < map.Offset + Math.Max(map.Size, 1))
                    return (i, 0);
            }

            return null;
        }

        var programs = new List<ProgramDescription>();
        foreach (var section in code.All.Where(s => s.Name != ".text"))
        {
            foreach (var function in section.Functions)
                programs.Add(ProgramLinker.Link(code, section, function, FindMap, KfuncIndex, ext));
        }

        return new BpfObjectFile
        {
            Name = name,
            Programs = programs,
            Maps = located.Select(m => m.Description).ToList(),
            Kfuncs = kfuncs,
            License = ReadString(elf, "license"),
            KernelVersion = ReadVersion(elf),
            Btf = btf,
            BtfExtension = ext,
        };
    }

    private static string? ReadString(ElfFile elf, string sectionName)
    {
        var section = elf.FindSection(sectionName);
        if (section is null)
            return null;
        var bytes = section.Data.Span;
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    private static uint? ReadVersion(ElfFile elf)
    {
        var section = elf.FindSection("version");
        if (section is null)
            return null;
        if (section.Data.Length != 4)
            throw new BpfLoadException($"the version section is {section.Data.Length} bytes, not 4", "version");
        return BinaryPrimitives.ReadUInt32LittleEndian(section.Data.Span);
    }
}
