namespace Bpf.Elf.Btf;

/// <summary>What a CO-RE relocation asks for (<c>enum bpf_core_relo_kind</c>).</summary>
public enum CoreRelocationKind
{
    /// <summary>The byte offset of a field.</summary>
    FieldByteOffset = 0,
    /// <summary>The byte size of a field.</summary>
    FieldByteSize = 1,
    /// <summary>1 if the field exists in the target, else 0.</summary>
    FieldExists = 2,
    /// <summary>1 if the field is a signed integer.</summary>
    FieldSigned = 3,
    /// <summary>The left shift that extracts a bitfield from a 64-bit load.</summary>
    FieldLeftShift = 4,
    /// <summary>The right shift that extracts a bitfield from a 64-bit load.</summary>
    FieldRightShift = 5,
    /// <summary>The type's id in the local BTF.</summary>
    TypeIdLocal = 6,
    /// <summary>The type's id in the target BTF.</summary>
    TypeIdTarget = 7,
    /// <summary>1 if the type exists in the target.</summary>
    TypeExists = 8,
    /// <summary>The type's size in the target.</summary>
    TypeSize = 9,
    /// <summary>1 if the enumerator exists in the target.</summary>
    EnumValueExists = 10,
    /// <summary>The enumerator's value in the target.</summary>
    EnumValue = 11,
    /// <summary>1 if the type matches the target's type.</summary>
    TypeMatches = 12,
}
