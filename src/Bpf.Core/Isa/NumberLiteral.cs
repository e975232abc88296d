namespace Bpf.Isa;

/// <summary>
/// A number as assembly text writes it: an optional sign, then decimal digits or <c>0x</c> and hex
/// digits. The magnitude is kept exactly (saturating far beyond 64 bits), so each use can apply
/// its own range rule: hex names a bit pattern, decimal a signed value.
/// </summary>
internal readonly record struct NumberLiteral(string Text, bool Negative, UInt128 Magnitude, bool Hex, bool HasSign)
{
    // Beyond this the exact value no longer matters: it is out of every range.
    private static readonly UInt128 s_saturation = (UInt128)1 << 100;

    /// <summary>The value as a signed number, saturated far outside the 64-bit range.</summary>
    private Int128 Value => Negative ? -(Int128)Magnitude : (Int128)Magnitude;

    /// <summary>Reads a number; false if <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string text, out NumberLiteral literal)
    {
        literal = default;
        var span = text.AsSpan();
        bool negative = false, hasSign = false;
        if (span.Length > 0 && span[0] is '+' or '-')
        {
            negative = span[0] == '-';
            hasSign = true;
            span = span[1..];
        }

        bool hex = span.Length > 2 && span[0] == '0' && span[1] is 'x' or 'X';
        if (hex)
            span = span[2..];
        if (span.IsEmpty)
            return false;

        UInt128 magnitude = 0;
        foreach (char c in span)
        {
            int digit = hex ? HexDigit(c) : char.IsAsciiDigit(c) ? c - '0' : -1;
            if (digit < 0)
                return false;
            magnitude = magnitude * (uint)(hex ? 16 : 10) + (uint)digit;
            if (magnitude > s_saturation)
                magnitude = s_saturation;
        }

        literal = new NumberLiteral(text, negative, magnitude, hex, hasSign);
        return true;
    }

    /// <summary>
    /// The number as a 32-bit immediate: decimal from -2147483648 to 2147483647, or hex from 0x0 to
    /// 0xffffffff (a bit pattern, so <c>0xffffffff</c> is -1); negative hex is a signed value.
    /// </summary>
    public bool TryToImmediate32(out int value)
    {
        value = 0;
        if (Hex && !Negative)
        {
            if (Magnitude > uint.MaxValue)
                return false;
            value = (int)(uint)Magnitude;
            return true;
        }

        if (!TryToSigned(int.MinValue, int.MaxValue, out long signed))
            return false;
        value = (int)signed;
        return true;
    }

    /// <summary>
    /// The number as the 64-bit immediate of <c>lddw</c>: anything from -2^63 to 2^64 - 1, decimal
    /// or hex (up to 16 hex digits of value).
    /// </summary>
    public bool TryToImmediate64(out long value)
    {
        value = 0;
        if (!Negative)
        {
            if (Magnitude > ulong.MaxValue)
                return false;
            value = (long)(ulong)Magnitude;
            return true;
        }

        return TryToSigned(long.MinValue, long.MaxValue, out value);
    }

    /// <summary>The number as a signed value within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public bool TryToSigned(long min, long max, out long value)
    {
        var signed = Value;
        value = 0;
        if (signed < min || signed > max)
            return false;
        value = (long)signed;
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
