namespace Bpf.Elf;

/// <summary>A symbol's binding: the high nibble of <c>st_info</c>.</summary>
public enum ElfSymbolBinding : byte
{
    /// <summary><c>STB_LOCAL</c>: visible in its own object only.</summary>
    Local = 0,
    /// <summary><c>STB_GLOBAL</c>: visible to every object linked with it.</summary>
    Global = 1,
    /// <summary><c>STB_WEAK</c>: global, but another definition may override it.</summary>
    Weak = 2,
}
