namespace Bpf.Elf;

/// <summary>Section attribute flags (<c>sh_flags</c>).</summary>
[Flags]
public enum ElfSectionFlags : ulong
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary><c>SHF_WRITE</c>: writable at run time.</summary>
    Write = 0x1,
    /// <summary><c>SHF_ALLOC</c>: occupies memory at run time.</summary>
    Alloc = 0x2,
    /// <summary><c>SHF_EXECINSTR</c>: holds instructions.</summary>
    ExecInstr = 0x4,
}
