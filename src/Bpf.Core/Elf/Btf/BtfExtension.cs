using System.Buffers.Binary;

namespace Bpf.Elf.Btf;

/// <summary>
/// The <c>.BTF.ext</c> section: per code section, where functions start (func info), which source
/// line each instruction comes from (line info), and the CO-RE relocations. Instruction positions
/// are converted from the section's byte offsets to instruction indices.
/// </summary>
public sealed class BtfExtension
{
    private const string SectionName = ".BTF.ext";
    private const int MinimumHeaderSize = 24;

    private BtfExtension()
    {
    }

    /// <summary>Func info by code section name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<BtfFunctionInfo>> Functions { get; private init; } = new Dictionary<string, IReadOnlyList<BtfFunctionInfo>>();

    /// <summary>Line info by code section name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<BtfLineInfo>> Lines { get; private init; } = new Dictionary<string, IReadOnlyList<BtfLineInfo>>();

    /// <summary>CO-RE relocations by code section name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<CoreRelocation>> CoreRelocations { get; private init; } = new Dictionary<string, IReadOnlyList<CoreRelocation>>();

    /// <summary>An extension with nothing in it (for objects without <c>.BTF.ext</c>).</summary>
    public static BtfExtension Empty { get; } = new();

    /// <summary>Parses a <c>.BTF.ext</c> section; its strings live in <paramref name="btf"/>.</summary>
    /// <exception cref="BpfLoadException">The section is malformed; the message names the offset.</exception>
    public static BtfExtension Parse(ReadOnlySpan<byte> section, BtfData btf)
    {
        ArgumentNullException.ThrowIfNull(btf);
        if (section.Length < MinimumHeaderSize)
            throw new BpfLoadException($"the section is {section.Length} bytes, too short for the BTF.ext header", SectionName, 0);
        if (BinaryPrimitives.ReadUInt16LittleEndian(section) != BtfData.Magic)
            throw new BpfLoadException("bad BTF.ext magic", SectionName, 0);
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(section[4..]);
        if (headerLength < MinimumHeaderSize || headerLength > (uint)section.Length)
            throw new BpfLoadException($"BTF.ext header length {headerLength} is outside {MinimumHeaderSize}..{section.Length}", SectionName, 4);
        var body = section[(int)headerLength..];

        var functions = new Dictionary<string, IReadOnlyList<BtfFunctionInfo>>(StringComparer.Ordinal);
        var lines = new Dictionary<string, IReadOnlyList<BtfLineInfo>>(StringComparer.Ordinal);
        var relocations = new Dictionary<string, IReadOnlyList<CoreRelocation>>(StringComparer.Ordinal);

        ReadBlocks(body, section, 8, "func info", 8, headerLength, btf, (name, record) =>
            Add(functions, name, new BtfFunctionInfo(InstructionIndex(record), (int)BinaryPrimitives.ReadUInt32LittleEndian(record[4..]))));
        ReadBlocks(body, section, 16, "line info", 16, headerLength, btf, (name, record) =>
        {
            uint lineColumn = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
            Add(lines, name, new BtfLineInfo(InstructionIndex(record),
                btf.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(record[4..])), (int)(lineColumn >> 10), (int)(lineColumn & 0x3ff),
                btf.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(record[8..]))));
        });
        if (headerLength >= 32)
        {
            ReadBlocks(body, section, 24, "CO-RE relocations", 16, headerLength, btf, (name, record) =>
                Add(relocations, name, new CoreRelocation(InstructionIndex(record), (int)BinaryPrimitives.ReadUInt32LittleEndian(record[4..]),
                    btf.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(record[8..])), (CoreRelocationKind)BinaryPrimitives.ReadUInt32LittleEndian(record[12..]))));
        }

        return new BtfExtension { Functions = functions, Lines = lines, CoreRelocations = relocations };
    }

    private static int InstructionIndex(ReadOnlySpan<byte> record) => (int)(BinaryPrimitives.ReadUInt32LittleEndian(record) / 8);

    private static void Add<T>(Dictionary<string, IReadOnlyList<T>> table, string section, T item)
    {
        if (!table.TryGetValue(section, out var list))
            table[section] = list = new List<T>();
        ((List<T>)list).Add(item);
    }

    private delegate void RecordReader(string sectionName, ReadOnlySpan<byte> record);

    /// <summary>
    /// Reads one info table: its offset and length are at <paramref name="headerField"/> of the header;
    /// it starts with the record size (at least <paramref name="minimumRecord"/>), then per code
    /// section a name, a count and the records.
    /// </summary>
    private static void ReadBlocks(ReadOnlySpan<byte> body, ReadOnlySpan<byte> section, int headerField, string what, int minimumRecord,
        uint headerLength, BtfData btf, RecordReader read)
    {
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(section[headerField..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(section[(headerField + 4)..]);
        if (length == 0)
            return;
        if (offset > (uint)body.Length || length > (uint)body.Length - offset)
            throw new BpfLoadException($"the {what} table ({length} bytes at {offset}) lies outside the section", SectionName, headerField);
        var table = body.Slice((int)offset, (int)length);
        long tableStart = headerLength + offset;
        if (table.Length < 4)
            throw new BpfLoadException($"the {what} table has no record size", SectionName, tableStart);
        uint recordSize = BinaryPrimitives.ReadUInt32LittleEndian(table);
        if (recordSize < minimumRecord || recordSize > 1024)
            throw new BpfLoadException($"the {what} record size {recordSize} is outside {minimumRecord}..1024", SectionName, tableStart);
        int at = 4;
        while (at < table.Length)
        {
            if (table.Length - at < 8)
                throw new BpfLoadException($"the {what} table ends inside a section header", SectionName, tableStart + at);
            string name = btf.StringAt(BinaryPrimitives.ReadUInt32LittleEndian(table[at..]));
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(table[(at + 4)..]);
            at += 8;
            if ((ulong)count * recordSize > (ulong)(table.Length - at))
                throw new BpfLoadException($"the {what} of section {name} claim {count} records of {recordSize} bytes, more than the table holds", SectionName, tableStart + at - 8);
            for (uint i = 0; i < count; i++)
            {
                read(name, table.Slice(at, (int)recordSize));
                at += (int)recordSize;
            }
        }
    }
}
