namespace Bpf.Elf.Btf;

/// <summary>Where a function starts and its BTF type (<c>BTF_KIND_FUNC</c>), from <c>.BTF.ext</c> func info.</summary>
/// <param name="Instruction">The index of the function's first instruction (in its section, or in a linked program).</param>
/// <param name="TypeId">The function's BTF type id.</param>
public readonly record struct BtfFunctionInfo(int Instruction, int TypeId);
