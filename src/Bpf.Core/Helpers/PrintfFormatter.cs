using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// The formatting of <c>bpf_trace_printk</c>, <c>bpf_trace_vprintk</c> and <c>bpf_snprintf</c>, as
/// Linux does it in two steps: <c>bpf_bprintf_prepare</c> checks the format and gathers the
/// arguments (copying strings and addresses the format follows into a 512-byte buffer, which
/// bounds them all together), then <c>bstr_printf</c> prints.
/// <para>
/// Conversions: <c>%d %i %u %x %X</c> (32-bit; with <c>l</c> or <c>ll</c> 64-bit), <c>%c</c>,
/// <c>%s</c>, <c>%%</c>; flags <c>0 + - space</c> and a width; <c>%p</c> (and <c>%px</c>, <c>%pK</c>:
/// the raw address in hex, 16 digits unless a width says otherwise: Linux hashes plain <c>%p</c>,
/// which hides nothing in user space), <c>%ps %pS %pB</c> (no symbols here: <c>0x</c> and the address in
/// hex, as Linux prints an address without a symbol), <c>%pks %pus</c> (strings),
/// <c>%pI4 %pi4 %pI6 %pi6</c> (addresses read from memory). The format must be printable ASCII,
/// whitespace or bytes from 0x80 up (UTF-8 text). Anything else, more conversions than arguments,
/// precision, <c>#</c>, <c>h</c> or <c>z</c> is <c>-EINVAL</c>; arguments that overflow the 512-byte
/// buffer are <c>-ENOSPC</c>. Strings and addresses are read with the probe rules
/// (<see cref="ProbeMemory"/>): one that cannot be read prints as an empty string (addresses as
/// zeros), as in Linux.
/// </para>
/// </summary>
internal static class PrintfFormatter
{
    /// <summary>The most arguments a format may use (<c>MAX_BPRINTF_VARARGS</c>).</summary>
    public const int MaxArguments = 12;

    /// <summary>The buffer the arguments' strings and numbers share (<c>MAX_BPRINTF_BIN_ARGS</c>).</summary>
    public const int ArgumentBufferSize = 512;

    /// <summary>The output buffer of the trace helpers (<c>MAX_BPRINTF_BUF</c>): longer lines are cut.</summary>
    public const int TraceBufferSize = 512;

    // Linux's printf_spec keeps the width in 24 bits and clamps it (FIELD_WIDTH_MAX).
    private const int MaxWidth = (1 << 23) - 1;
    private const int NoWidth = -1;

    [Flags]
    private enum FormatFlags
    {
        None = 0,
        Left = 1,
        Plus = 2,
        Space = 4,
        ZeroPad = 8,
    }

    /// <summary>
    /// Formats <paramref name="format"/> (without its NUL) with <paramref name="arguments"/> into
    /// <paramref name="output"/>, cut to fit and NUL-terminated when it has any room.
    /// </summary>
    /// <returns>The length of the whole output without the NUL, or a negative errno (the output is then untouched).</returns>
    public static long Format(ReadOnlySpan<byte> format, ReadOnlySpan<ulong> arguments, Invocation invocation, Span<byte> output)
    {
        Span<Argument> gathered = stackalloc Argument[MaxArguments];
        Span<byte> buffer = stackalloc byte[ArgumentBufferSize];
        long error = Prepare(format, arguments, invocation, gathered, buffer);
        if (error < 0)
            return error;
        var writer = new FormatWriter(output);
        Print(format, gathered, buffer, ref writer);
        writer.Terminate();
        return writer.Length;
    }

    /// <summary>
    /// Checks the format as <c>bpf_bprintf_prepare</c> does and gathers each conversion's argument:
    /// its number, or the text (string, address) it prints, stored in <paramref name="buffer"/>.
    /// </summary>
    private static long Prepare(ReadOnlySpan<byte> format, ReadOnlySpan<ulong> arguments, Invocation invocation, Span<Argument> gathered, Span<byte> buffer)
    {
        Span<byte> text = stackalloc byte[39]; // the longest text gathered: an IPv6 address with colons
        Span<byte> addressBytes = stackalloc byte[16];
        int count = 0;
        int used = 0; // bytes of the argument buffer taken, past its end once a text overflowed it
        for (int i = 0; i < format.Length; i++)
        {
            byte c = format[i];
            if (c < 0x80 && !(c >= 0x20 && c <= 0x7E) && !KernelCharacterClass.IsSpace(c))
                return -Errno.EINVAL;
            if (c != '%')
                continue;
            if (At(format, i + 1) == '%')
            {
                i++;
                continue;
            }

            if (count >= arguments.Length)
                return -Errno.EINVAL;
            ulong value = arguments[count];
            int remaining = Math.Max(ArgumentBufferSize - used, 0);
            i++;
            while (At(format, i) is (byte)'0' or (byte)'+' or (byte)'-' or (byte)' ')
                i++;
            if (At(format, i) is >= (byte)'1' and <= (byte)'9')
            {
                i++;
                while (At(format, i) is >= (byte)'0' and <= (byte)'9')
                    i++;
            }

            int numberSize = 4;
            switch (At(format, i))
            {
                case (byte)'p':
                {
                    byte kind = At(format, i + 1);
                    numberSize = 8;
                    if (kind == 0 || KernelCharacterClass.IsSpace(kind) || KernelCharacterClass.IsPunctuation(kind))
                        break;
                    if (kind is (byte)'k' or (byte)'u' && At(format, i + 2) == 's')
                    {
                        i += 2;
                        goto case (byte)'s';
                    }

                    if (kind is (byte)'K' or (byte)'x' or (byte)'s' or (byte)'S')
                    {
                        i++;
                        break;
                    }

                    if (kind == 'B')
                    {
                        i++;
                        gathered[count++] = StoreText(buffer, ref used, text[..SymbolText(value, text)]);
                        continue;
                    }

                    byte version = At(format, i + 2);
                    if (kind is not ((byte)'i' or (byte)'I') || version is not ((byte)'4' or (byte)'6'))
                        return -Errno.EINVAL;
                    i += 2;
                    int addressSize = version == '4' ? 4 : 16;
                    if (remaining < addressSize)
                        return -Errno.ENOSPC;
                    var address = addressBytes[..addressSize];
                    if (ProbeMemory.IsReadable(invocation, value, addressSize))
                        ReadBytes(value, address);
                    else
                        address.Clear();
                    gathered[count++] = StoreText(buffer, ref used, text[..FormatAddress(address, kind == 'I', text)]);
                    continue;
                }

                case (byte)'s':
                {
                    byte next = At(format, i + 1);
                    if (next != 0 && !KernelCharacterClass.IsSpace(next) && !KernelCharacterClass.IsPunctuation(next))
                        return -Errno.EINVAL;
                    if (remaining == 0)
                        return -Errno.ENOSPC;
                    long copied = ProbeMemory.CopyString(invocation, buffer.Slice(used, remaining), value);
                    if (copied <= 0)
                    {
                        // Linux prints a string it could not read as an empty one.
                        buffer[used] = 0;
                        copied = 1;
                    }

                    gathered[count++] = new Argument(0, used, (int)copied - 1);
                    used += (int)copied;
                    continue;
                }

                case (byte)'c':
                    if (remaining == 0)
                        return -Errno.ENOSPC;
                    used++;
                    gathered[count++] = new Argument(value, 0, 0);
                    continue;

                default:
                    if (At(format, i) == 'l')
                    {
                        numberSize = 8;
                        i++;
                    }

                    if (At(format, i) == 'l')
                        i++;
                    if (At(format, i) is not ((byte)'i' or (byte)'d' or (byte)'u' or (byte)'x' or (byte)'X'))
                        return -Errno.EINVAL;
                    break;
            }

            used = (used + 3) & ~3;
            if (ArgumentBufferSize - used < numberSize)
                return -Errno.ENOSPC;
            used += numberSize;
            gathered[count++] = new Argument(numberSize == 4 ? (uint)value : value, 0, 0);
        }

        return 0;
    }

    /// <summary>Prints the checked format with the gathered arguments, as <c>bstr_printf</c> does.</summary>
    private static void Print(ReadOnlySpan<byte> format, scoped ReadOnlySpan<Argument> gathered, scoped ReadOnlySpan<byte> buffer, ref FormatWriter writer)
    {
        Span<byte> symbol = stackalloc byte[2 + 16];
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            byte c = format[i];
            if (c != '%')
            {
                writer.Append(c);
                continue;
            }

            if (At(format, i + 1) == '%')
            {
                writer.Append((byte)'%');
                i++;
                continue;
            }

            var flags = FormatFlags.None;
            for (i++; ; i++)
            {
                var flag = At(format, i) switch
                {
                    (byte)'-' => FormatFlags.Left,
                    (byte)'+' => FormatFlags.Plus,
                    (byte)' ' => FormatFlags.Space,
                    (byte)'0' => FormatFlags.ZeroPad,
                    _ => FormatFlags.None,
                };
                if (flag == FormatFlags.None)
                    break;
                flags |= flag;
            }

            int width = NoWidth;
            if (At(format, i) is >= (byte)'1' and <= (byte)'9')
            {
                // C int arithmetic, overflow and all, then Linux's clamp.
                width = 0;
                while (At(format, i) is >= (byte)'0' and <= (byte)'9')
                    width = unchecked(width * 10 + (format[i++] - '0'));
                width = Math.Clamp(width, -MaxWidth, MaxWidth);
            }

            var argument = gathered[next++];
            switch (At(format, i))
            {
                case (byte)'p':
                {
                    byte kind = At(format, i + 1);
                    if (kind is (byte)'s' or (byte)'S')
                    {
                        PrintString(ref writer, symbol[..SymbolText(argument.Value, symbol)], flags, width);
                    }
                    else if (kind is (byte)'B' or (byte)'k' or (byte)'u' or (byte)'i' or (byte)'I')
                    {
                        // Gathered as text: printed as it is, without padding, as Linux does.
                        writer.Append(argument.TextIn(buffer));
                    }
                    else
                    {
                        // Plain %p, %px, %pK: Linux's pointer_string.
                        if (width == NoWidth)
                        {
                            width = 16;
                            flags |= FormatFlags.ZeroPad;
                        }

                        PrintNumber(ref writer, argument.Value, signed: false, hex: true, upper: false, flags, width);
                    }

                    while (KernelCharacterClass.IsAlphanumeric(At(format, i + 1)))
                        i++;
                    break;
                }

                case (byte)'s':
                    PrintString(ref writer, argument.TextIn(buffer), flags, width);
                    break;

                case (byte)'c':
                    if ((flags & FormatFlags.Left) == 0)
                        writer.Repeat((byte)' ', (long)width - 1);
                    writer.Append((byte)argument.Value);
                    if ((flags & FormatFlags.Left) != 0)
                        writer.Repeat((byte)' ', (long)width - 1);
                    break;

                default:
                {
                    bool isLong = At(format, i) == 'l';
                    while (At(format, i) == 'l')
                        i++;
                    byte conversion = format[i];
                    ulong value = argument.Value;
                    bool signed = conversion is (byte)'d' or (byte)'i';
                    if (signed && !isLong)
                        value = (ulong)(int)(uint)value;
                    PrintNumber(ref writer, value, signed, hex: conversion is (byte)'x' or (byte)'X', upper: conversion == 'X', flags, width);
                    break;
                }
            }
        }
    }

    /// <summary>Linux's <c>number()</c> without precision or prefixes, which BPF formats cannot ask for.</summary>
    private static void PrintNumber(ref FormatWriter writer, ulong value, bool signed, bool hex, bool upper, FormatFlags flags, int width)
    {
        if ((flags & FormatFlags.Left) != 0)
            flags &= ~FormatFlags.ZeroPad;
        byte sign = 0;
        if (signed)
        {
            if ((long)value < 0)
            {
                sign = (byte)'-';
                value = (ulong)-(long)value;
            }
            else if ((flags & FormatFlags.Plus) != 0)
            {
                sign = (byte)'+';
            }
            else if ((flags & FormatFlags.Space) != 0)
            {
                sign = (byte)' ';
            }
        }

        Span<byte> digits = stackalloc byte[20];
        int start = digits.Length;
        uint radix = hex ? 16u : 10u;
        string alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        do
        {
            digits[--start] = (byte)alphabet[(int)(value % radix)];
            value /= radix;
        }
        while (value != 0);

        long padding = (long)width - (sign != 0 ? 1 : 0) - (digits.Length - start);
        if ((flags & (FormatFlags.ZeroPad | FormatFlags.Left)) == 0)
            writer.Repeat((byte)' ', padding);
        if (sign != 0)
            writer.Append(sign);
        if ((flags & FormatFlags.ZeroPad) != 0)
            writer.Repeat((byte)'0', padding);
        writer.Append(digits[start..]);
        if ((flags & FormatFlags.Left) != 0)
            writer.Repeat((byte)' ', padding);
    }

    /// <summary>Linux's <c>string()</c>: right-aligned in the width with spaces, or left-aligned with <c>-</c>.</summary>
    private static void PrintString(ref FormatWriter writer, scoped ReadOnlySpan<byte> text, FormatFlags flags, int width)
    {
        long padding = (long)width - text.Length;
        if ((flags & FormatFlags.Left) == 0)
            writer.Repeat((byte)' ', padding);
        writer.Append(text);
        if ((flags & FormatFlags.Left) != 0)
            writer.Repeat((byte)' ', padding);
    }

    /// <summary>What Linux prints for an address without a symbol: <c>0x</c> and lowercase hex.</summary>
    private static int SymbolText(ulong address, Span<byte> text)
    {
        text[0] = (byte)'0';
        text[1] = (byte)'x';
        address.TryFormat(text[2..], out int written, "x", System.Globalization.CultureInfo.InvariantCulture);
        return 2 + written;
    }

    /// <summary><c>%pI4</c> (dotted decimal), <c>%pi4</c> (three digits each), <c>%pI6</c> (eight groups of four hex digits), <c>%pi6</c> (32 hex digits).</summary>
    private static int FormatAddress(ReadOnlySpan<byte> address, bool separated, Span<byte> text)
    {
        int length = 0;
        if (address.Length == 4)
        {
            for (int i = 0; i < 4; i++)
            {
                if (i > 0)
                    text[length++] = (byte)'.';
                address[i].TryFormat(text[length..], out int written, separated ? "D" : "D3", System.Globalization.CultureInfo.InvariantCulture);
                length += written;
            }

            return length;
        }

        for (int i = 0; i < 16; i++)
        {
            if (separated && i > 0 && i % 2 == 0)
                text[length++] = (byte)':';
            address[i].TryFormat(text[length..], out int written, "x2", System.Globalization.CultureInfo.InvariantCulture);
            length += written;
        }

        return length;
    }

    /// <summary>
    /// Keeps text a conversion prints in the argument buffer, cut to the room left with its NUL, as
    /// Linux's <c>snprintf</c> into that buffer does; the room it takes is its whole length, so a text
    /// that did not fit leaves none for later conversions.
    /// </summary>
    private static Argument StoreText(Span<byte> buffer, ref int used, ReadOnlySpan<byte> text)
    {
        int offset = Math.Min(used, ArgumentBufferSize);
        int room = ArgumentBufferSize - offset;
        int kept = Math.Max(Math.Min(text.Length, room - 1), 0);
        text[..kept].CopyTo(buffer[offset..]);
        used += text.Length + 1;
        return new Argument(0, offset, kept);
    }

    private static unsafe void ReadBytes(ulong address, Span<byte> destination) =>
        new ReadOnlySpan<byte>((void*)address, destination.Length).CopyTo(destination);

    private static byte At(ReadOnlySpan<byte> format, int index) => index < format.Length ? format[index] : (byte)0;

    /// <summary>A conversion's argument: a number, or text kept in the argument buffer.</summary>
    private readonly record struct Argument(ulong Value, int Offset, int Length)
    {
        public ReadOnlySpan<byte> TextIn(ReadOnlySpan<byte> buffer) => buffer.Slice(Offset, Length);
    }
}
