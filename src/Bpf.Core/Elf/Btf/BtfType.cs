namespace Bpf.Elf.Btf;

/// <summary>One type of a BTF type table.</summary>
public sealed class BtfType
{
    internal BtfType(int id, BtfKind kind, string name, uint info, int sizeOrType, IReadOnlyList<BtfMember> members)
    {
        Id = id;
        Kind = kind;
        Name = name;
        KindFlag = (info & 0x8000_0000) != 0;
        VariableCount = (int)(info & 0xffff);
        SizeOrType = sizeOrType;
        Members = members;
    }

    /// <summary>The type's id (1-based; 0 is void).</summary>
    public int Id { get; }

    /// <summary>The kind.</summary>
    public BtfKind Kind { get; }

    /// <summary>The name ("" for anonymous types).</summary>
    public string Name { get; }

    /// <summary>The kind flag: bitfield encoding of members, a forward declaration of a union, a signed enum.</summary>
    public bool KindFlag { get; }

    /// <summary>The <c>vlen</c> field: members, parameters or enumerators; for functions, the linkage.</summary>
    public int VariableCount { get; }

    /// <summary>The size in bytes (integers, structures, unions, enumerations, data sections, floats) or the referenced type id (the others).</summary>
    public int SizeOrType { get; }

    /// <summary>Members, parameters, enumerators or data-section variables.</summary>
    public IReadOnlyList<BtfMember> Members { get; }

    /// <summary>For integers: the bit width; 0 otherwise.</summary>
    public int IntegerBits { get; internal init; }

    /// <summary>For integers: true when signed.</summary>
    public bool IsSigned { get; internal init; }

    /// <summary>For arrays: the element type id.</summary>
    public int ElementType { get; internal init; }

    /// <summary>For arrays: the number of elements.</summary>
    public int ElementCount { get; internal init; }

    /// <summary>For variables: the linkage (0 static, 1 global, 2 extern).</summary>
    public int Linkage { get; internal init; }

    /// <inheritdoc/>
    public override string ToString() => $"[{Id}] {Kind} '{Name}'";
}
