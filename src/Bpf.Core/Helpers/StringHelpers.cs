using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// String comparison and number parsing, with Linux's semantics and errors: <c>bpf_strncmp</c>,
/// <c>bpf_strtol</c>, <c>bpf_strtoul</c>.
/// </summary>
public static class StringHelpers
{
    private const ulong BaseMask = 0x1F; // BPF_STRTOX_BASE_MASK
    private const int MaxDigits = 63; // Linux parses a copy of at most 63 characters
    private const int Overflowed = int.MinValue; // KSTRTOX_OVERFLOW, in a parse result

    /// <summary>
    /// <c>bpf_strncmp(s1, s1_sz, s2)</c> (helper 182): compares at most <c>s1_sz</c> bytes of
    /// <c>s1</c> with the NUL-terminated <c>s2</c>, as unsigned bytes: -1, 0 or 1, as Linux's
    /// <c>strncmp</c>.
    /// </summary>
    public static unsafe ulong Strncmp(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint size = (uint)r2;
        var first = new ReadOnlySpan<byte>((void*)invocation.HelperRead(r1, size), (int)Math.Min(size, int.MaxValue));
        var second = ProgramStrings.Read(invocation, r3);
        for (int i = 0; i < first.Length; i++)
        {
            byte a = first[i];
            byte b = i < second.Length ? second[i] : (byte)0;
            if (a != b)
                return a < b ? ulong.MaxValue : 1;
            if (a == 0)
                break;
        }

        return 0;
    }

    /// <summary>
    /// <c>bpf_strtol(buf, buf_len, flags, res)</c> (helper 105): parses a signed integer from the
    /// first <c>buf_len</c> bytes of <c>buf</c>: leading whitespace, an optional <c>-</c>, digits in
    /// the base of <c>flags</c> (0, 8, 10 or 16; 0 reads a <c>0x</c> or <c>0</c> prefix; 16 skips a
    /// <c>0x</c>). Stores the value in <c>*res</c> (0 on error) and returns the bytes consumed;
    /// <c>-EINVAL</c> for a bad base or flags, or no digits; <c>-ERANGE</c> when the value does not
    /// fit in 64 signed bits.
    /// </summary>
    public static unsafe ulong Strtol(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        long* result = (long*)invocation.HelperWrite(r4, sizeof(long));
        *result = 0;
        long consumed = Parse(invocation, r1, (uint)r2, r3, out ulong magnitude, out bool negative);
        if (consumed < 0)
            return (ulong)consumed;
        ulong value = negative ? (ulong)-(long)magnitude : magnitude;
        if (negative ? (long)value > 0 : (long)value < 0)
            return Errno.Negative(Errno.ERANGE);
        *result = (long)value;
        return (ulong)consumed;
    }

    /// <summary>
    /// <c>bpf_strtoul(buf, buf_len, flags, res)</c> (helper 106): as <see cref="Strtol"/> for an
    /// unsigned value; a <c>-</c> sign is <c>-EINVAL</c>, a value past 64 bits <c>-ERANGE</c>.
    /// </summary>
    public static unsafe ulong Strtoul(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        ulong* result = (ulong*)invocation.HelperWrite(r4, sizeof(ulong));
        *result = 0;
        long consumed = Parse(invocation, r1, (uint)r2, r3, out ulong value, out bool negative);
        if (consumed < 0)
            return (ulong)consumed;
        if (negative)
            return Errno.Negative(Errno.EINVAL);
        *result = value;
        return (ulong)consumed;
    }

    /// <summary>Linux's <c>__bpf_strtoull</c>: the bytes consumed, or a negative errno.</summary>
    private static unsafe long Parse(Invocation invocation, ulong address, uint length, ulong flags, out ulong value, out bool negative)
    {
        value = 0;
        negative = false;
        uint numberBase = (uint)(flags & BaseMask);
        if (address == 0 || length == 0 || numberBase is not (0 or 8 or 10 or 16) || (flags & ~BaseMask) != 0)
            return -Errno.EINVAL;

        var text = new ReadOnlySpan<byte>((void*)invocation.HelperRead(address, length), (int)Math.Min(length, int.MaxValue));
        int position = 0;
        while (position < text.Length && KernelCharacterClass.IsSpace(text[position]))
            position++;
        negative = position < text.Length && text[position] == '-';
        if (negative)
            position++;
        if (position == text.Length)
            return -Errno.EINVAL;

        // Linux parses a NUL-terminated copy of at most 63 bytes.
        Span<byte> copy = stackalloc byte[MaxDigits + 1];
        copy.Clear();
        var rest = text[position..];
        rest[..Math.Min(rest.Length, MaxDigits)].CopyTo(copy);

        int start = 0;
        if (numberBase == 0)
        {
            if (copy[0] == '0')
                numberBase = (copy[1] | 0x20) == 'x' && KernelCharacterClass.IsHexDigit(copy[2]) ? 16u : 8u;
            else
                numberBase = 10;
        }

        if (numberBase == 16 && copy[0] == '0' && (copy[1] | 0x20) == 'x')
            start = 2;

        int digits = ParseDigits(copy[start..], numberBase, out value);
        if ((digits & Overflowed) != 0)
            return -Errno.ERANGE;
        if (digits == 0)
            return -Errno.EINVAL;
        return position + start + digits;
    }

    /// <summary>Linux's <c>_parse_integer</c>: the digits read, with <see cref="Overflowed"/> set when the value passed 64 bits.</summary>
    private static int ParseDigits(ReadOnlySpan<byte> text, uint numberBase, out ulong value)
    {
        value = 0;
        int result = 0;
        foreach (byte c in text)
        {
            uint digit;
            if (c is >= (byte)'0' and <= (byte)'9')
                digit = (uint)(c - '0');
            else if ((c | 0x20) is >= 'a' and <= 'f')
                digit = (uint)((c | 0x20) - 'a' + 10);
            else
                break;
            if (digit >= numberBase)
                break;
            if (value > (ulong.MaxValue - digit) / numberBase)
                result |= Overflowed;
            value = unchecked(value * numberBase + digit);
            result++;
        }

        return result;
    }
}
