using System.Buffers.Binary;
using System.Text;

namespace Bpf.Elf.Btf;

/// <summary>
/// The type information of an object's <c>.BTF</c> section: its types by id and its string table.
/// Every offset and count is checked against the section, so a hostile section is a
/// <see cref="BpfLoadException"/> naming the offset.
/// </summary>
public sealed class BtfData
{
    /// <summary>The magic number of BTF and BTF.ext headers.</summary>
    public const ushort Magic = 0xeB9F;

    private const string SectionName = ".BTF";
    private const int HeaderSize = 24;
    private readonly BtfType[] _types;
    private readonly byte[] _strings;
    private Dictionary<string, List<BtfType>>? _byName;

    private BtfData(BtfType[] types, byte[] strings)
    {
        _types = types;
        _strings = strings;
    }

    /// <summary>The number of types (ids 1 to <see cref="Count"/>).</summary>
    public int Count => _types.Length - 1;

    /// <summary>Every type, in id order.</summary>
    public IEnumerable<BtfType> Types => _types.Skip(1);

    /// <summary>The type with id <paramref name="id"/>.</summary>
    /// <exception cref="BpfLoadException">No such type.</exception>
    public BtfType this[int id] =>
        id > 0 && id < _types.Length ? _types[id] : throw new BpfLoadException($"BTF type id {id} does not exist ({Count} types)", SectionName);

    /// <summary>The string at <paramref name="offset"/> of the string table.</summary>
    /// <exception cref="BpfLoadException">The offset is outside the table or the string is not terminated.</exception>
    public string StringAt(uint offset)
    {
        if (offset >= (uint)_strings.Length)
            throw new BpfLoadException($"string offset {offset} is outside the {_strings.Length}-byte BTF string table", SectionName);
        int end = Array.IndexOf(_strings, (byte)0, (int)offset);
        if (end < 0)
            throw new BpfLoadException($"the BTF string at offset {offset} is not terminated", SectionName);
        return Encoding.UTF8.GetString(_strings, (int)offset, end - (int)offset);
    }

    /// <summary>The types called <paramref name="name"/>.</summary>
    public IReadOnlyList<BtfType> FindByName(string name)
    {
        if (_byName is null)
        {
            var map = new Dictionary<string, List<BtfType>>(StringComparer.Ordinal);
            foreach (var type in Types)
            {
                if (type.Name.Length == 0)
                    continue;
                if (!map.TryGetValue(type.Name, out var list))
                    map[type.Name] = list = [];
                list.Add(type);
            }

            _byName = map;
        }

        return _byName.TryGetValue(name, out var found) ? found : [];
    }

    /// <summary>The type behind typedefs, modifiers and type tags (0 stays void).</summary>
    public BtfType? Resolve(int id)
    {
        for (int hops = 0; id != 0; hops++)
        {
            var type = this[id];
            if (type.Kind is not (BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag))
                return type;
            if (hops > 64)
                throw new BpfLoadException($"BTF type {id} is part of a typedef/modifier cycle", SectionName);
            id = type.SizeOrType;
        }

        return null;
    }

    /// <summary>The size in bytes of type <paramref name="id"/>, following typedefs, modifiers and arrays.</summary>
    /// <exception cref="BpfLoadException">The type has no size (void, functions, forward declarations) or is too large.</exception>
    public long SizeOf(int id) => SizeOf(id, 0);

    private long SizeOf(int id, int depth)
    {
        if (depth > 64)
            throw new BpfLoadException($"BTF type {id} nests too deep to have a size", SectionName);
        var type = Resolve(id) ?? throw new BpfLoadException("void has no size", SectionName);
        long size = type.Kind switch
        {
            BtfKind.Int or BtfKind.Struct or BtfKind.Union or BtfKind.Enum or BtfKind.Enum64 or BtfKind.Float or BtfKind.DataSection => (uint)type.SizeOrType,
            BtfKind.Pointer => 8,
            BtfKind.Array => type.ElementCount * SizeOf(type.ElementType, depth + 1),
            BtfKind.Variable => SizeOf(type.SizeOrType, depth + 1),
            _ => throw new BpfLoadException($"BTF type {type} has no size", SectionName),
        };
        if (size > int.MaxValue)
            throw new BpfLoadException($"BTF type {type} is {size} bytes, too large", SectionName);
        return size;
    }

    /// <summary>Parses a <c>.BTF</c> section.</summary>
    /// <exception cref="BpfLoadException">The section is malformed; the message names the offset.</exception>
    public static BtfData Parse(ReadOnlySpan<byte> section)
    {
        if (section.Length < HeaderSize)
            throw new BpfLoadException($"the section is {section.Length} bytes, too short for the {HeaderSize}-byte BTF header", SectionName, 0);
        if (BinaryPrimitives.ReadUInt16LittleEndian(section) != Magic)
            throw new BpfLoadException($"bad BTF magic 0x{BinaryPrimitives.ReadUInt16LittleEndian(section):x4} (expected 0x{Magic:x4}, little-endian)", SectionName, 0);
        if (section[2] != 1)
            throw new BpfLoadException($"BTF version {section[2]} is not 1", SectionName, 2);
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(section[4..]);
        uint typeOffset = BinaryPrimitives.ReadUInt32LittleEndian(section[8..]);
        uint typeLength = BinaryPrimitives.ReadUInt32LittleEndian(section[12..]);
        uint stringOffset = BinaryPrimitives.ReadUInt32LittleEndian(section[16..]);
        uint stringLength = BinaryPrimitives.ReadUInt32LittleEndian(section[20..]);
        if (headerLength < HeaderSize || headerLength > (uint)section.Length)
            throw new BpfLoadException($"BTF header length {headerLength} is outside 24..{section.Length}", SectionName, 4);
        var body = section[(int)headerLength..];
        CheckRange(body, typeOffset, typeLength, "type", (int)headerLength);
        CheckRange(body, stringOffset, stringLength, "string", (int)headerLength);
        var strings = body.Slice((int)stringOffset, (int)stringLength).ToArray();
        if (strings.Length == 0 || strings[0] != 0 || strings[^1] != 0)
            throw new BpfLoadException("the BTF string table must start with an empty string and end with a NUL", SectionName, headerLength + stringOffset);

        var data = new BtfData([], strings);
        var types = new List<BtfType> { new(0, BtfKind.Void, "", 0, 0, []) };
        var bytes = body.Slice((int)typeOffset, (int)typeLength);
        int at = 0;
        while (at < bytes.Length)
        {
            long fileOffset = headerLength + typeOffset + at;
            types.Add(ReadType(data, bytes, ref at, types.Count, fileOffset));
        }

        var result = new BtfData([.. types], strings);
        result.CheckReferences();
        return result;
    }

    private static void CheckRange(ReadOnlySpan<byte> body, uint offset, uint length, string what, int headerLength)
    {
        if (offset > (uint)body.Length || length > (uint)body.Length - offset)
            throw new BpfLoadException($"the BTF {what} table ({length} bytes at {offset}) lies outside the section", SectionName, headerLength + (long)offset);
    }

    private static BtfType ReadType(BtfData data, ReadOnlySpan<byte> bytes, ref int at, int id, long fileOffset)
    {
        var header = Take(bytes, ref at, 12, id, fileOffset);
        string name = data.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(header));
        uint info = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        int sizeOrType = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        var kind = (BtfKind)((info >> 24) & 0x1f);
        int vlen = (int)(info & 0xffff);
        bool kindFlag = (info & 0x8000_0000) != 0;
        switch (kind)
        {
            case BtfKind.Int:
            {
                uint encoding = BinaryPrimitives.ReadUInt32LittleEndian(Take(bytes, ref at, 4, id, fileOffset));
                return new BtfType(id, kind, name, info, sizeOrType, [])
                    { IntegerBits = (int)(encoding & 0xff), IsSigned = ((encoding >> 24) & 1) != 0 };
            }

            case BtfKind.Array:
            {
                var array = Take(bytes, ref at, 12, id, fileOffset);
                uint count = BinaryPrimitives.ReadUInt32LittleEndian(array[8..]);
                if (count > int.MaxValue)
                    throw new BpfLoadException($"BTF type {id} is an array of {count} elements", SectionName, fileOffset);
                return new BtfType(id, kind, name, info, sizeOrType, [])
                    { ElementType = (int)BinaryPrimitives.ReadUInt32LittleEndian(array), ElementCount = (int)count };
            }

            case BtfKind.Struct or BtfKind.Union:
            {
                var members = new BtfMember[vlen];
                for (int i = 0; i < vlen; i++)
                {
                    var member = Take(bytes, ref at, 12, id, fileOffset);
                    uint offset = BinaryPrimitives.ReadUInt32LittleEndian(member[8..]);
                    members[i] = new BtfMember(
                        data.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(member)),
                        (int)BinaryPrimitives.ReadUInt32LittleEndian(member[4..]),
                        kindFlag ? offset & 0xffffff : offset,
                        kindFlag ? (int)(offset >> 24) : 0,
                        0);
                }

                return new BtfType(id, kind, name, info, sizeOrType, members);
            }

            case BtfKind.Enum:
            {
                var members = new BtfMember[vlen];
                for (int i = 0; i < vlen; i++)
                {
                    var member = Take(bytes, ref at, 8, id, fileOffset);
                    int raw = BinaryPrimitives.ReadInt32LittleEndian(member[4..]);
                    members[i] = new BtfMember(data.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(member)), 0, 0, 0, kindFlag ? raw : (uint)raw);
                }

                return new BtfType(id, kind, name, info, sizeOrType, members) { IsSigned = kindFlag };
            }

            case BtfKind.Enum64:
            {
                var members = new BtfMember[vlen];
                for (int i = 0; i < vlen; i++)
                {
                    var member = Take(bytes, ref at, 12, id, fileOffset);
                    long value = (long)((ulong)BinaryPrimitives.ReadUInt32LittleEndian(member[4..]) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(member[8..]) << 32));
                    members[i] = new BtfMember(data.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(member)), 0, 0, 0, value);
                }

                return new BtfType(id, kind, name, info, sizeOrType, members) { IsSigned = kindFlag };
            }

            case BtfKind.FunctionPrototype:
            {
                var members = new BtfMember[vlen];
                for (int i = 0; i < vlen; i++)
                {
                    var parameter = Take(bytes, ref at, 8, id, fileOffset);
                    members[i] = new BtfMember(data.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(parameter)),
                        (int)BinaryPrimitives.ReadUInt32LittleEndian(parameter[4..]), 0, 0, 0);
                }

                return new BtfType(id, kind, name, info, sizeOrType, members);
            }

            case BtfKind.Variable:
            {
                int linkage = (int)BinaryPrimitives.ReadUInt32LittleEndian(Take(bytes, ref at, 4, id, fileOffset));
                return new BtfType(id, kind, name, info, sizeOrType, []) { Linkage = linkage };
            }

            case BtfKind.DataSection:
            {
                var members = new BtfMember[vlen];
                for (int i = 0; i < vlen; i++)
                {
                    var variable = Take(bytes, ref at, 12, id, fileOffset);
                    int type = (int)BinaryPrimitives.ReadUInt32LittleEndian(variable);
                    members[i] = new BtfMember("", type, BinaryPrimitives.ReadUInt32LittleEndian(variable[4..]), 0,
                        BinaryPrimitives.ReadUInt32LittleEndian(variable[8..]));
                }

                return new BtfType(id, kind, name, info, sizeOrType, members);
            }

            case BtfKind.DeclarationTag:
                Take(bytes, ref at, 4, id, fileOffset);
                return new BtfType(id, kind, name, info, sizeOrType, []);

            case BtfKind.Pointer or BtfKind.Forward or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const
                or BtfKind.Restrict or BtfKind.Function or BtfKind.Float or BtfKind.TypeTag:
                return new BtfType(id, kind, name, info, sizeOrType, []);

            default:
                throw new BpfLoadException($"BTF type {id} has unknown kind {(int)kind}", SectionName, fileOffset);
        }
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> bytes, ref int at, int length, int id, long fileOffset)
    {
        if (bytes.Length - at < length)
            throw new BpfLoadException($"BTF type {id} is truncated: the type table ends inside it", SectionName, fileOffset);
        var slice = bytes.Slice(at, length);
        at += length;
        return slice;
    }

    /// <summary>Every type id a type refers to must exist, so later walks cannot index out of the table.</summary>
    private void CheckReferences()
    {
        foreach (var type in Types)
        {
            bool refersToType = type.Kind is BtfKind.Pointer or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const
                or BtfKind.Restrict or BtfKind.Function or BtfKind.FunctionPrototype or BtfKind.Variable or BtfKind.TypeTag or BtfKind.DeclarationTag;
            if (refersToType)
                CheckId(type, type.SizeOrType);
            if (type.Kind == BtfKind.Array)
                CheckId(type, type.ElementType);
            if (type.Kind is BtfKind.Struct or BtfKind.Union or BtfKind.FunctionPrototype or BtfKind.DataSection)
            {
                foreach (var member in type.Members)
                    CheckId(type, member.Type);
            }
        }
    }

    private void CheckId(BtfType owner, int id)
    {
        if (id < 0 || id >= _types.Length)
            throw new BpfLoadException($"BTF type {owner} refers to type {id}, which does not exist ({Count} types)", SectionName);
    }
}
