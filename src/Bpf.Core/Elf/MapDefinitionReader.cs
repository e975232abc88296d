using System.Buffers.Binary;
using Bpf.Elf.Btf;
using Bpf.Maps;

namespace Bpf.Elf;

/// <summary>
/// Reads the maps an object defines in <c>.maps</c> (BTF-defined, libbpf's <c>__uint</c>/<c>__type</c>/
/// <c>__array</c> conventions) and in legacy <c>maps</c> / <c>maps/NAME</c> sections.
/// </summary>
internal static class MapDefinitionReader
{
    public const string BtfMapsSection = ".maps";

    /// <summary>A map and where its definition lies, for resolving relocations against it.</summary>
    public sealed record Located(MapDescription Description, int SectionIndex, long Offset, long Size);

    /// <summary>True for a legacy map section name.</summary>
    public static bool IsLegacySection(string name) => name == "maps" || name.StartsWith("maps/", StringComparison.Ordinal);

    /// <summary>The BTF-defined maps of <c>.maps</c>.</summary>
    public static List<Located> ReadBtfMaps(ElfFile elf, BtfData? btf)
    {
        var result = new List<Located>();
        var section = elf.FindSection(BtfMapsSection);
        if (section is null)
            return result;
        if (btf is null)
            throw new BpfLoadException("BTF-defined maps need the object's .BTF section, which is missing (compile with -g)", BtfMapsSection);
        var dataSection = btf.FindByName(BtfMapsSection).FirstOrDefault(t => t.Kind == BtfKind.DataSection)
            ?? throw new BpfLoadException("the object's BTF has no DATASEC for .maps", BtfMapsSection);

        var relocations = elf.RelocationsFor(section);
        foreach (var variableInfo in dataSection.Members)
        {
            var variable = btf[variableInfo.Type];
            if (variable.Kind != BtfKind.Variable)
                throw new BpfLoadException($"entry {variable} of the .maps DATASEC is not a variable", BtfMapsSection);
            long offset = variableInfo.Offset;
            long size = variableInfo.Value;
            var symbol = elf.Symbols.FirstOrDefault(s => s.Section == section && s.Name == variable.Name);
            if (symbol is not null)
            {
                // clang leaves DATASEC offsets to the linker in some versions; the symbol is authoritative.
                offset = (long)symbol.Value;
                size = symbol.Size > 0 ? (long)symbol.Size : size;
            }

            if (offset < 0 || offset > (long)section.Size)
                throw new BpfLoadException($"map {variable.Name} lies at offset {offset}, outside the section", BtfMapsSection, offset);
            var definition = ReadBtfDefinition(btf, variable.Name, variable.SizeOrType, 0, out var valuesMember);
            var initializers = valuesMember is { } values
                ? ReadInitializers(elf, relocations, variable.Name, offset + values.Offset, offset + size, definition)
                : [];
            result.Add(new Located(
                new MapDescription { Definition = definition, Origin = MapOrigin.BtfDefined, SectionName = BtfMapsSection, Initializers = initializers },
                section.Index, offset, size));
        }

        return result;
    }

    private readonly record struct ValuesMember(long Offset);

    private static BpfMapDefinition ReadBtfDefinition(BtfData btf, string name, int typeId, int depth, out ValuesMember? values)
    {
        values = null;
        var type = btf.Resolve(typeId);
        if (type is null || type.Kind != BtfKind.Struct)
            throw new BpfLoadException($"map {name}: its BTF type is not a struct (got {type?.Kind.ToString() ?? "void"})", BtfMapsSection);

        BpfMapType mapType = default;
        bool hasType = false;
        int keySize = 0, valueSize = 0, maxEntries = 0, pinning = 0, numaNode = 0, spinLock = -1;
        ulong mapExtra = 0;
        BpfMapFlags flags = 0;
        BpfMapDefinition? inner = null;
        foreach (var member in type.Members)
        {
            switch (member.Name)
            {
                case "type":
                    mapType = (BpfMapType)UIntMember(btf, name, member);
                    hasType = true;
                    break;
                case "max_entries":
                    maxEntries = (int)UIntMember(btf, name, member);
                    break;
                case "map_flags":
                    flags = (BpfMapFlags)UIntMember(btf, name, member);
                    break;
                case "numa_node":
                    numaNode = (int)UIntMember(btf, name, member);
                    break;
                case "pinning":
                    pinning = (int)UIntMember(btf, name, member);
                    break;
                case "map_extra":
                    mapExtra = UIntMember(btf, name, member);
                    break;
                case "key_size":
                    keySize = CheckSize(name, "key_size", UIntMember(btf, name, member), keySize);
                    break;
                case "value_size":
                    valueSize = CheckSize(name, "value_size", UIntMember(btf, name, member), valueSize);
                    break;
                case "key":
                    keySize = CheckSize(name, "key", PointeeSize(btf, name, member), keySize);
                    break;
                case "value":
                    valueSize = CheckSize(name, "value", PointeeSize(btf, name, member), valueSize);
                    spinLock = SpinLockOffset(btf, member);
                    break;
                case "values":
                {
                    // __array(values, T): an array of pointers to T; for map-in-map T is the inner map's definition.
                    var array = btf.Resolve(member.Type);
                    if (array is null || array.Kind != BtfKind.Array || btf.Resolve(array.ElementType) is not { Kind: BtfKind.Pointer } pointer)
                        throw new BpfLoadException($"map {name}: 'values' must be an array of pointers (__array)", BtfMapsSection);
                    if (btf.Resolve(pointer.SizeOrType) is { Kind: BtfKind.Struct } && depth == 0)
                        inner = ReadBtfDefinition(btf, name + ".inner", pointer.SizeOrType, depth + 1, out _);
                    values = new ValuesMember(member.Offset / 8);
                    break;
                }

                default:
                    throw new BpfLoadException($"map {name}: unknown definition member '{member.Name}'", BtfMapsSection);
            }
        }

        if (!hasType)
            throw new BpfLoadException($"map {name}: the definition has no 'type'", BtfMapsSection);

        // Map-in-map and program arrays hold 4-byte ids in the kernel; the definition may leave the size out.
        if (mapType is BpfMapType.ProgArray or BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps && valueSize == 0)
            valueSize = 4;
        return new BpfMapDefinition
        {
            Name = name, Type = mapType, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries,
            Flags = flags, Pinning = pinning, NumaNode = numaNode, MapExtra = mapExtra, InnerMap = inner, SpinLockOffset = spinLock,
        };
    }

    /// <summary>
    /// Where the value type (<c>__type(value, T)</c>) holds its <c>struct bpf_spin_lock</c>: a member of
    /// that type at the top level of T, or T itself, as the kernel's BTF record looks for it; -1 if none.
    /// </summary>
    private static int SpinLockOffset(BtfData btf, BtfMember member)
    {
        const string LockType = "bpf_spin_lock";
        if (btf.Resolve(member.Type) is not { Kind: BtfKind.Pointer } pointer || btf.Resolve(pointer.SizeOrType) is not { } value)
            return -1;
        if (value.Kind == BtfKind.Struct && value.Name == LockType)
            return 0;
        if (value.Kind is not (BtfKind.Struct or BtfKind.Union))
            return -1;
        foreach (var field in value.Members)
        {
            if (btf.Resolve(field.Type) is { Kind: BtfKind.Struct, Name: LockType })
                return (int)(field.Offset / 8);
        }

        return -1;
    }

    private static int CheckSize(string map, string what, ulong size, int previous)
    {
        if (size > int.MaxValue)
            throw new BpfLoadException($"map {map}: {what} of {size} bytes is too large", BtfMapsSection);
        if (previous != 0 && previous != (int)size)
            throw new BpfLoadException($"map {map}: {what} gives {size} bytes, but the definition already said {previous}", BtfMapsSection);
        return (int)size;
    }

    /// <summary><c>__uint(name, N)</c> is <c>int (*name)[N]</c>: a pointer to an array of N elements.</summary>
    private static ulong UIntMember(BtfData btf, string map, BtfMember member)
    {
        if (btf.Resolve(member.Type) is { Kind: BtfKind.Pointer } pointer && btf.Resolve(pointer.SizeOrType) is { Kind: BtfKind.Array } array)
            return (ulong)array.ElementCount;
        throw new BpfLoadException($"map {map}: member '{member.Name}' must be declared with __uint (a pointer to an array)", BtfMapsSection);
    }

    /// <summary><c>__type(name, T)</c> is <c>T *name</c>: the size of T.</summary>
    private static ulong PointeeSize(BtfData btf, string map, BtfMember member)
    {
        if (btf.Resolve(member.Type) is { Kind: BtfKind.Pointer } pointer)
            return (ulong)btf.SizeOf(pointer.SizeOrType);
        throw new BpfLoadException($"map {map}: member '{member.Name}' must be declared with __type (a pointer)", BtfMapsSection);
    }

    private static List<MapSlotInitializer> ReadInitializers(ElfFile elf, IReadOnlyList<ElfRelocation> relocations, string map,
        long valuesStart, long mapEnd, BpfMapDefinition definition)
    {
        var result = new List<MapSlotInitializer>();
        foreach (var relocation in relocations)
        {
            long offset = (long)relocation.Offset;
            if (offset < valuesStart || offset >= mapEnd)
                continue;
            if ((offset - valuesStart) % 8 != 0)
                throw new BpfLoadException($"map {map}: an initialiser relocation at offset {offset} is not on a pointer slot", BtfMapsSection, relocation.FileOffset);
            int slot = (int)((offset - valuesStart) / 8);
            if (definition.MaxEntries > 0 && slot >= definition.MaxEntries)
                throw new BpfLoadException($"map {map}: initialiser slot {slot} is beyond max_entries {definition.MaxEntries}", BtfMapsSection, relocation.FileOffset);
            var symbol = relocation.Symbol;
            bool isProgram = symbol.Section?.IsExecutable == true;
            if (definition.Type == BpfMapType.ProgArray && !isProgram)
                throw new BpfLoadException($"map {map}: slot {slot} of a program array refers to {symbol.Name}, which is not a program", BtfMapsSection, relocation.FileOffset);
            if (definition.Type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps && (isProgram || symbol.Section?.Name != BtfMapsSection))
                throw new BpfLoadException($"map {map}: slot {slot} of a map-in-map refers to {symbol.Name}, which is not a map in .maps", BtfMapsSection, relocation.FileOffset);
            result.Add(new MapSlotInitializer(slot, symbol.Name, isProgram));
        }

        return result;
    }

    /// <summary>
    /// The maps of legacy sections: 20- or 28-byte <c>struct bpf_map_def</c> (type, key_size, value_size,
    /// max_entries, map_flags[, inner_map_idx, numa_node]) or 36-byte iproute2 <c>struct bpf_elf_map</c>
    /// (type, size_key, size_value, max_elem, flags, id, pinning, inner_id, inner_idx). The size of each
    /// definition is its symbol's size, or the section divided by the number of map symbols.
    /// </summary>
    public static List<Located> ReadLegacyMaps(ElfFile elf)
    {
        var result = new List<Located>();
        foreach (var section in elf.Sections.Where(s => IsLegacySection(s.Name)))
        {
            var symbols = elf.Symbols
                .Where(s => s.Section == section && s.Type != ElfSymbolType.Section && s.Name.Length > 0)
                .OrderBy(s => s.Value)
                .ToList();
            if (symbols.Count == 0)
                continue;
            var data = section.Data.Span;
            long defaultSize = (long)section.Size / symbols.Count;
            var first = result.Count;
            var innerIndices = new List<int>();
            foreach (var symbol in symbols)
            {
                long size = symbol.Size > 0 ? (long)symbol.Size : defaultSize;
                long offset = (long)symbol.Value;
                if (size < 20 || offset < 0 || offset + size > data.Length)
                    throw new BpfLoadException($"legacy map {symbol.Name}: a {size}-byte definition at offset {offset} does not fit (at least 20 bytes inside the section)", section.Name, (long)section.FileOffset + offset);
                var bytes = data.Slice((int)offset, (int)size).ToArray();
                uint Field(int index) => index * 4 + 4 <= bytes.Length ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(index * 4)) : 0;
                bool elfMap = size >= 36;
                uint keySize = Field(1), valueSize = Field(2), maxEntries = Field(3);
                if (keySize > int.MaxValue || valueSize > int.MaxValue || maxEntries > int.MaxValue)
                    throw new BpfLoadException($"legacy map {symbol.Name}: sizes {keySize}/{valueSize}/{maxEntries} are too large", section.Name, (long)section.FileOffset + offset);
                var definition = new BpfMapDefinition
                {
                    Name = symbol.Name,
                    Type = (BpfMapType)Field(0),
                    KeySize = (int)keySize,
                    ValueSize = (int)valueSize,
                    MaxEntries = (int)maxEntries,
                    Flags = (BpfMapFlags)Field(4),
                    Pinning = elfMap ? (int)Field(6) : 0,
                    NumaNode = elfMap ? 0 : (int)Field(6),
                };
                innerIndices.Add(elfMap ? (int)Field(8) : (int)Field(5));
                result.Add(new Located(new MapDescription { Definition = definition, Origin = MapOrigin.Legacy, SectionName = section.Name },
                    section.Index, offset, size));
            }

            // inner_map_idx / inner_idx name the map in the same section whose definition inner maps follow.
            for (int i = 0; i < symbols.Count; i++)
            {
                var located = result[first + i];
                if (located.Description.Definition.Type is not (BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps))
                    continue;
                int inner = innerIndices[i];
                if (inner < 0 || inner >= symbols.Count || inner == i)
                    throw new BpfLoadException($"legacy map {symbols[i].Name}: inner map index {inner} is not another map of the section", section.Name);
                result[first + i] = located with
                {
                    Description = located.Description with
                    {
                        Definition = located.Description.Definition with { InnerMap = result[first + inner].Description.Definition },
                    },
                };
            }
        }

        return result;
    }
}
