namespace Bpf.Elf;

/// <summary>
/// One relocation entry: the bytes at <see cref="Offset"/> of the target section refer to
/// <see cref="Symbol"/>. BPF loaders decide what a relocation means from the instruction it lands on
/// and the symbol, not from <see cref="Type"/> (old toolchains wrote type 0 everywhere).
/// </summary>
/// <param name="Offset">The byte offset in the target section.</param>
/// <param name="Symbol">The symbol referred to.</param>
/// <param name="Type">The relocation type (<c>R_BPF_64_64</c> = 1, <c>R_BPF_64_ABS64</c> = 2, <c>R_BPF_64_ABS32</c> = 3, <c>R_BPF_64_32</c> = 10).</param>
/// <param name="Addend">The explicit addend of an <c>SHT_RELA</c> entry; 0 for <c>SHT_REL</c>.</param>
/// <param name="SectionName">The relocation section it comes from, for messages.</param>
/// <param name="FileOffset">Where the entry is in the file, for messages.</param>
/// <param name="HasExplicitAddend">True for an <c>SHT_RELA</c> entry, whose <paramref name="Addend"/> replaces the bytes' own.</param>
public sealed record ElfRelocation(ulong Offset, ElfSymbol Symbol, uint Type, long Addend, string SectionName, long FileOffset, bool HasExplicitAddend);
