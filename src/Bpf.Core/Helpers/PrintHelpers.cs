using System.Buffers.Binary;
using System.Text;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// <c>bpf_trace_printk</c>, <c>bpf_trace_vprintk</c> and <c>bpf_snprintf</c>: Linux's BPF printf,
/// whose conversions, checks and errors <see cref="PrintfFormatter"/> describes. The trace helpers
/// send their line to the host's sink (<see cref="ExecutionOptions.Trace"/>) and return its length.
/// </summary>
public static class PrintHelpers
{
    private const int TraceArguments = 3; // MAX_TRACE_PRINTK_VARARGS

    /// <summary>
    /// <c>bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3)</c> (helper 6): formats up to three
    /// arguments and sends the line to the trace sink. <c>fmt</c> is <c>fmt_size</c> bytes holding a
    /// NUL-terminated format (<c>-EINVAL</c> without the NUL). Returns the length of the formatted text
    /// (the line itself is cut to 511 bytes as in Linux), or a negative errno.
    /// </summary>
    public static unsafe ulong TracePrintk(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint size = (uint)r2;
        var format = new ReadOnlySpan<byte>((void*)invocation.HelperRead(r1, size), (int)Math.Min(size, int.MaxValue));
        int end = format.IndexOf((byte)0);
        if (end < 0)
            return Errno.Negative(Errno.EINVAL);
        ReadOnlySpan<ulong> arguments = [r3, r4, r5];
        return (ulong)Trace(format[..end], arguments[..TraceArguments], invocation);
    }

    /// <summary>
    /// <c>bpf_trace_vprintk(fmt, fmt_size, data, data_len)</c> (helper 177): <see cref="TracePrintk"/>
    /// with up to 12 arguments in an array of 64-bit values; <c>data_len</c> must be a multiple of 8 of
    /// at most 96 bytes, and <c>data</c> not null when it is not 0 (<c>-EINVAL</c> otherwise).
    /// </summary>
    public static unsafe ulong TraceVprintk(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        Span<ulong> arguments = stackalloc ulong[PrintfFormatter.MaxArguments];
        int count = ReadArguments(r3, (uint)r4, arguments, invocation);
        if (count < 0)
            return Errno.Negative(Errno.EINVAL);
        uint size = (uint)r2;
        var format = new ReadOnlySpan<byte>((void*)invocation.HelperRead(r1, size), (int)Math.Min(size, int.MaxValue));
        int end = format.IndexOf((byte)0);
        if (end < 0)
            return Errno.Negative(Errno.EINVAL);
        return (ulong)Trace(format[..end], arguments[..count], invocation);
    }

    /// <summary>
    /// <c>bpf_snprintf(str, str_size, fmt, data, data_len)</c> (helper 165): formats the NUL-terminated
    /// <c>fmt</c> with the 64-bit values of <c>data</c> (as <see cref="TraceVprintk"/>) into <c>str</c>,
    /// cut to <c>str_size - 1</c> bytes and NUL-terminated. Returns the size the whole text needs
    /// including its NUL, or a negative errno (<c>str</c> is then untouched).
    /// </summary>
    public static unsafe ulong Snprintf(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        uint size = (uint)r2;
        var output = new Span<byte>((void*)invocation.HelperWrite(r1, size), (int)Math.Min(size, int.MaxValue));
        Span<ulong> arguments = stackalloc ulong[PrintfFormatter.MaxArguments];
        int count = ReadArguments(r4, (uint)r5, arguments, invocation);
        if (count < 0)
            return Errno.Negative(Errno.EINVAL);
        long length = PrintfFormatter.Format(ProgramStrings.Read(invocation, r3), arguments[..count], invocation, output);
        return length < 0 ? (ulong)length : (ulong)(length + 1);
    }

    /// <summary>Reads the argument array of the <c>v</c> forms; the count, or -1 for a bad length or a null array.</summary>
    private static unsafe int ReadArguments(ulong data, uint length, Span<ulong> arguments, Invocation invocation)
    {
        if (length % 8 != 0 || length > PrintfFormatter.MaxArguments * 8 || (length != 0 && data == 0))
            return -1;
        var bytes = new ReadOnlySpan<byte>((void*)invocation.HelperRead(data, length), (int)length);
        int count = (int)length / 8;
        for (int i = 0; i < count; i++)
            arguments[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]);
        return count;
    }

    private static long Trace(ReadOnlySpan<byte> format, ReadOnlySpan<ulong> arguments, Invocation invocation)
    {
        Span<byte> line = stackalloc byte[PrintfFormatter.TraceBufferSize];
        long length = PrintfFormatter.Format(format, arguments, invocation, line);
        if (length < 0 || invocation.Options.Trace is null)
            return length;

        // The trace event keeps the text up to its first NUL (a %c of 0 ends it). The sink takes one
        // line per call, so the newline formats usually end with is dropped.
        int end = line.IndexOf((byte)0);
        var text = line[..end];
        if (text.Length > 0 && text[^1] == '\n')
            text = text[..^1];
        invocation.Trace(Encoding.UTF8.GetString(text));
        return length;
    }
}
