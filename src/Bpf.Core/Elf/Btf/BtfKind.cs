namespace Bpf.Elf.Btf;

/// <summary>The kind of a BTF type (<c>BTF_KIND_*</c> in the kernel's uapi/linux/btf.h).</summary>
public enum BtfKind
{
    /// <summary>The void type (id 0); never encoded.</summary>
    Void = 0,
    /// <summary>An integer: size, signedness, bit width.</summary>
    Int = 1,
    /// <summary>A pointer.</summary>
    Pointer = 2,
    /// <summary>An array: element type and count.</summary>
    Array = 3,
    /// <summary>A structure.</summary>
    Struct = 4,
    /// <summary>A union.</summary>
    Union = 5,
    /// <summary>A 32-bit enumeration.</summary>
    Enum = 6,
    /// <summary>A forward declaration.</summary>
    Forward = 7,
    /// <summary>A typedef.</summary>
    Typedef = 8,
    /// <summary>The <c>volatile</c> modifier.</summary>
    Volatile = 9,
    /// <summary>The <c>const</c> modifier.</summary>
    Const = 10,
    /// <summary>The <c>restrict</c> modifier.</summary>
    Restrict = 11,
    /// <summary>A function: name and prototype.</summary>
    Function = 12,
    /// <summary>A function prototype: return and parameter types.</summary>
    FunctionPrototype = 13,
    /// <summary>A global variable.</summary>
    Variable = 14,
    /// <summary>A data section: the variables in it with their offsets.</summary>
    DataSection = 15,
    /// <summary>A floating-point type.</summary>
    Float = 16,
    /// <summary>A declaration tag.</summary>
    DeclarationTag = 17,
    /// <summary>A type tag.</summary>
    TypeTag = 18,
    /// <summary>A 64-bit enumeration.</summary>
    Enum64 = 19,
}
