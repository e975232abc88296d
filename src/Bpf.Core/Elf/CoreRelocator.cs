using Bpf.Elf.Btf;
using Bpf.Isa;

namespace Bpf.Elf;

/// <summary>
/// Applies CO-RE relocations (compile once, run everywhere): an instruction that encodes a field
/// offset, a size, an existence test or an enumerator value of a type gets the value the target's
/// type layout gives. The target is the object's own BTF unless the host supplies another (the
/// layouts of its own context structures, say); types match by name with libbpf's <c>___flavor</c>
/// suffixes ignored, fields by name, looking through anonymous structs and unions.
/// </summary>
internal sealed class CoreRelocator
{
    private readonly BtfData _local;
    private readonly BtfData _target;
    private readonly bool _targetIsLocal;

    public CoreRelocator(BtfData local, BtfData? target)
    {
        _local = local;
        _target = target ?? local;
        _targetIsLocal = target is null || ReferenceEquals(target, local);
    }

    /// <summary>Patches the instructions of <paramref name="section"/> for each of its relocations.</summary>
    public void Apply(string section, Instruction[] instructions, IReadOnlyList<CoreRelocation> relocations)
    {
        foreach (var relocation in relocations)
        {
            if ((uint)relocation.Instruction >= (uint)instructions.Length)
                throw Error(section, relocation, $"instruction {relocation.Instruction} is outside the section");
            long value = Compute(section, relocation);
            Patch(section, instructions, relocation, value);
        }
    }

    private long Compute(string section, CoreRelocation relocation)
    {
        var spec = ParseAccess(section, relocation);
        var root = _local[relocation.TypeId];
        var target = FindTarget(root);
        switch (relocation.Kind)
        {
            case CoreRelocationKind.TypeIdLocal:
                return relocation.TypeId;
            case CoreRelocationKind.TypeIdTarget:
                return target?.Id ?? 0;
            case CoreRelocationKind.TypeExists or CoreRelocationKind.TypeMatches:
                return target is null ? 0 : 1;
            case CoreRelocationKind.TypeSize:
                return target is null ? throw Error(section, relocation, $"type {root.Name} does not exist in the target") : _target.SizeOf(target.Id);
            case CoreRelocationKind.EnumValueExists or CoreRelocationKind.EnumValue:
            {
                var localEnum = _local.Resolve(relocation.TypeId);
                if (localEnum is null || localEnum.Kind is not (BtfKind.Enum or BtfKind.Enum64) || spec.Length != 1 || (uint)spec[0] >= (uint)localEnum.Members.Count)
                    throw Error(section, relocation, "the enumerator access does not name an enumerator");
                string name = localEnum.Members[spec[0]].Name;
                var targetEnum = target is null ? null : _target.Resolve(target.Id);
                bool exists = targetEnum is not null && targetEnum.Members.Any(m => m.Name == name);
                if (relocation.Kind == CoreRelocationKind.EnumValueExists)
                    return exists ? 1 : 0;
                return exists
                    ? targetEnum!.Members.First(m => m.Name == name).Value
                    : throw Error(section, relocation, $"enumerator {name} does not exist in the target");
            }

            default:
            {
                var field = target is null ? null : ResolveField(section, relocation, spec, target);
                if (relocation.Kind == CoreRelocationKind.FieldExists)
                    return field is null ? 0 : 1;
                if (field is not { } f)
                    throw Error(section, relocation, $"field {relocation.Access} of {root.Name} does not exist in the target");
                return FieldValue(section, relocation, f);
            }
        }
    }

    private readonly record struct FieldLocation(long BitOffset, int BitSize, int TypeId, bool IsBitfield);

    /// <summary>Walks the access path in the target by the local path's member names.</summary>
    private FieldLocation? ResolveField(string section, CoreRelocation relocation, int[] spec, BtfType targetRoot)
    {
        long bits = spec[0] * _target.SizeOf(targetRoot.Id) * 8;
        int localType = relocation.TypeId;
        int targetType = targetRoot.Id;
        BtfMember? lastMember = null;
        for (int k = 1; k < spec.Length; k++)
        {
            var local = _local.Resolve(localType) ?? throw Error(section, relocation, "the access path goes through void");
            var target = _target.Resolve(targetType);
            if (target is null)
                return null;
            if (local.Kind is BtfKind.Struct or BtfKind.Union)
            {
                if ((uint)spec[k] >= (uint)local.Members.Count)
                    throw Error(section, relocation, $"member index {spec[k]} is beyond the {local.Members.Count} members of {local.Name}");
                var member = local.Members[spec[k]];
                localType = member.Type;
                if (target.Kind is not (BtfKind.Struct or BtfKind.Union))
                    return null;
                if (_targetIsLocal)
                {
                    var same = target.Members[spec[k]];
                    bits += same.Offset;
                    targetType = same.Type;
                    lastMember = same;
                    continue;
                }

                if (!FindMember(target, member.Name, 0, out var found, out long memberBits))
                    return null;
                bits += memberBits;
                targetType = found.Type;
                lastMember = found;
            }
            else if (local.Kind == BtfKind.Array)
            {
                if (target.Kind != BtfKind.Array)
                    return null;
                localType = local.ElementType;
                targetType = target.ElementType;
                bits += spec[k] * _target.SizeOf(targetType) * 8;
                lastMember = null;
            }
            else
            {
                throw Error(section, relocation, $"the access path indexes into {local.Kind} {local.Name}");
            }
        }

        bool bitfield = lastMember is { BitfieldSize: > 0 };
        int bitSize = bitfield ? lastMember!.Value.BitfieldSize : (int)(_target.SizeOf(targetType) * 8);
        return new FieldLocation(bits, bitSize, targetType, bitfield);
    }

    /// <summary>Finds a member by name, looking into anonymous struct and union members as C does.</summary>
    private bool FindMember(BtfType type, string name, int depth, out BtfMember member, out long bits)
    {
        foreach (var candidate in type.Members)
        {
            if (candidate.Name == name)
            {
                member = candidate;
                bits = candidate.Offset;
                return true;
            }

            if (candidate.Name.Length == 0 && depth < 16 && _target.Resolve(candidate.Type) is { Kind: BtfKind.Struct or BtfKind.Union } inner
                && FindMember(inner, name, depth + 1, out member, out long innerBits))
            {
                bits = candidate.Offset + innerBits;
                return true;
            }
        }

        member = default;
        bits = 0;
        return false;
    }

    /// <summary>The value a field relocation asks for, with libbpf's rules for bitfields (little-endian).</summary>
    private long FieldValue(string section, CoreRelocation relocation, FieldLocation field)
    {
        long byteSize = field.IsBitfield ? _target.SizeOf(field.TypeId) : field.BitSize / 8;
        long byteOffset = field.BitOffset / 8;
        if (field.IsBitfield)
        {
            byteOffset = field.BitOffset / 8 / byteSize * byteSize;
            while (field.BitOffset + field.BitSize - byteOffset * 8 > byteSize * 8)
            {
                if (byteSize >= 8)
                    throw Error(section, relocation, "the bitfield does not fit an 8-byte load");
                byteSize *= 2;
                byteOffset = field.BitOffset / 8 / byteSize * byteSize;
            }
        }

        return relocation.Kind switch
        {
            CoreRelocationKind.FieldByteOffset => byteOffset,
            CoreRelocationKind.FieldByteSize => byteSize,
            CoreRelocationKind.FieldSigned => _target.Resolve(field.TypeId) is { Kind: BtfKind.Int or BtfKind.Enum or BtfKind.Enum64, IsSigned: true } ? 1 : 0,
            CoreRelocationKind.FieldLeftShift => 64 - (field.BitOffset + field.BitSize - byteOffset * 8),
            CoreRelocationKind.FieldRightShift => 64 - field.BitSize,
            _ => throw Error(section, relocation, $"relocation kind {(int)relocation.Kind} is not known"),
        };
    }

    /// <summary>The target type for a local root type: itself when the target is the local BTF, else one of the same kind and essential name.</summary>
    private BtfType? FindTarget(BtfType root)
    {
        if (_targetIsLocal)
            return root;
        var local = _local.Resolve(root.Id) ?? root;
        string name = EssentialName(local.Name);
        if (name.Length == 0)
            return null;
        foreach (var type in _target.Types)
        {
            if (EssentialName(type.Name) == name && SameKindFamily(type.Kind, local.Kind))
                return type;
        }

        return null;
    }

    private static bool SameKindFamily(BtfKind a, BtfKind b) =>
        a == b || (a is BtfKind.Enum or BtfKind.Enum64 && b is BtfKind.Enum or BtfKind.Enum64);

    private static string EssentialName(string name)
    {
        int flavor = name.IndexOf("___", StringComparison.Ordinal);
        return flavor > 0 ? name[..flavor] : name;
    }

    private static void Patch(string section, Instruction[] instructions, CoreRelocation relocation, long value)
    {
        var instruction = instructions[relocation.Instruction];
        var cls = (OpcodeClass)(instruction.Opcode & 7);
        switch (cls)
        {
            case OpcodeClass.Alu or OpcodeClass.Alu64 when (instruction.Opcode & 0x08) == 0:
                if (value is < int.MinValue or > uint.MaxValue)
                    throw Error(section, relocation, $"the value {value} does not fit the instruction's 32-bit immediate");
                instructions[relocation.Instruction] = instruction.WithImmediate((int)value);
                break;
            case OpcodeClass.Ldx or OpcodeClass.St or OpcodeClass.Stx when relocation.Kind == CoreRelocationKind.FieldByteOffset:
                if (value is < short.MinValue or > short.MaxValue)
                    throw Error(section, relocation, $"the offset {value} does not fit the instruction's 16-bit offset");
                instructions[relocation.Instruction] = instruction.WithOffset((short)value);
                break;
            case OpcodeClass.Ld when instruction.Opcode == 0x18 && relocation.Instruction + 1 < instructions.Length:
                instructions[relocation.Instruction] = instruction.WithImmediate((int)value);
                instructions[relocation.Instruction + 1] = instructions[relocation.Instruction + 1].WithImmediate((int)(value >> 32));
                break;
            default:
                throw Error(section, relocation, $"instruction {relocation.Instruction} (opcode 0x{instruction.Opcode:x2}) cannot take a {relocation.Kind} relocation");
        }
    }

    private static int[] ParseAccess(string section, CoreRelocation relocation)
    {
        var parts = relocation.Access.Split(':');
        var spec = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out spec[i]))
                throw Error(section, relocation, $"the access string '{relocation.Access}' is not a list of indices");
        }

        return spec;
    }

    private static BpfLoadException Error(string section, CoreRelocation relocation, string reason) =>
        new($"CO-RE relocation ({relocation.Kind}, type {relocation.TypeId}, access {relocation.Access}) at instruction {relocation.Instruction}: {reason}", section);
}
