namespace Bpf.Elf.Btf;

/// <summary>
/// A member of a structure or union, a parameter of a function prototype, an enumerator, or a
/// variable of a data section, depending on the type that holds it.
/// </summary>
/// <param name="Name">The name ("" for anonymous members and unnamed parameters).</param>
/// <param name="Type">The member's type id (for enumerators, 0).</param>
/// <param name="Offset">Structure members: the offset in bits; data-section variables: the offset in bytes; 0 otherwise.</param>
/// <param name="BitfieldSize">Structure members that are bitfields: the width in bits; 0 otherwise.</param>
/// <param name="Value">Enumerators: the value; data-section variables: the size in bytes; 0 otherwise.</param>
public readonly record struct BtfMember(string Name, int Type, long Offset, int BitfieldSize, long Value);
