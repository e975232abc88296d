namespace Bpf.Elf;

/// <summary>A symbol's type: the low nibble of <c>st_info</c>.</summary>
public enum ElfSymbolType : byte
{
    /// <summary><c>STT_NOTYPE</c>: unspecified (labels, undefined externs).</summary>
    NoType = 0,
    /// <summary><c>STT_OBJECT</c>: a data object such as a map or a global variable.</summary>
    Object = 1,
    /// <summary><c>STT_FUNC</c>: a function.</summary>
    Function = 2,
    /// <summary><c>STT_SECTION</c>: the section itself (relocations against a section).</summary>
    Section = 3,
    /// <summary><c>STT_FILE</c>: the source file name.</summary>
    File = 4,
}
