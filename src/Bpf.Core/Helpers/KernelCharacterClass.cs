namespace Bpf.Helpers;

/// <summary>
/// The kernel's character classes (<c>lib/ctype.c</c>), which cover Latin-1 and not just ASCII:
/// 0xA0 is a space, 0xA1-0xBF punctuation, 0xC0-0xFF letters. The print and string helpers decide
/// with them what Linux decides, so a format or number that Linux accepts is accepted here too.
/// </summary>
internal static class KernelCharacterClass
{
    /// <summary>Space, tab, newline, vertical tab, form feed, carriage return, and no-break space (0xA0).</summary>
    public static bool IsSpace(byte c) => c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0;

    /// <summary>ASCII or Latin-1 punctuation.</summary>
    public static bool IsPunctuation(byte c) =>
        (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
        || (c >= 0xA1 && c <= 0xBF) || c == 0xD7 || c == 0xF7;

    /// <summary>A digit, or an ASCII or Latin-1 letter.</summary>
    public static bool IsAlphanumeric(byte c) =>
        (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c != 0xD7 && c != 0xF7);

    /// <summary>A digit in base 16 (either case).</summary>
    public static bool IsHexDigit(byte c) => (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
