namespace Bpf.Verification;

/// <summary>The access sizes, in bytes, allowed on a context field. Every access must also be aligned to its size.</summary>
[Flags]
public enum AccessWidths
{
    /// <summary>No access.</summary>
    None = 0,

    /// <summary>1-byte accesses.</summary>
    Byte = 1,

    /// <summary>2-byte accesses.</summary>
    Half = 2,

    /// <summary>4-byte accesses.</summary>
    Word = 4,

    /// <summary>8-byte accesses.</summary>
    Double = 8,

    /// <summary>1, 2 or 4 bytes: a 32-bit field with the narrow loads the kernel allows.</summary>
    Narrow32 = Byte | Half | Word,

    /// <summary>Any size.</summary>
    Any = Byte | Half | Word | Double,
}

/// <summary>Reading <see cref="AccessWidths"/>.</summary>
public static class AccessWidthsExtensions
{
    /// <summary>True if an access of <paramref name="size"/> bytes is among <paramref name="widths"/>.</summary>
    public static bool Allows(this AccessWidths widths, int size) =>
        size is 1 or 2 or 4 or 8 && ((int)widths & size) != 0;
}
