namespace Bpf.Elf.Btf;

/// <summary>A CO-RE relocation record from <c>.BTF.ext</c>: an instruction whose immediate or offset depends on a type's layout.</summary>
/// <param name="Instruction">The instruction index in its section.</param>
/// <param name="TypeId">The root type's id in the object's BTF.</param>
/// <param name="Access">The access string: indices separated by colons, e.g. <c>0:1:2</c>.</param>
/// <param name="Kind">What the relocation asks for.</param>
public sealed record CoreRelocation(int Instruction, int TypeId, string Access, CoreRelocationKind Kind);
