using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// NUL-terminated strings a program passes where Linux's verifier demands a constant string (the
/// format of <c>bpf_snprintf</c>, the second string of <c>bpf_strncmp</c>). Without a verifier,
/// checked mode makes sure the string ends inside memory the program may read and stops the program
/// when it does not, as it does for any other bad helper argument.
/// </summary>
internal static unsafe class ProgramStrings
{
    /// <summary>The string at <paramref name="address"/>, without its NUL.</summary>
    /// <exception cref="BpfRuntimeException">Checked mode, and the string does not end inside readable memory.</exception>
    public static ReadOnlySpan<byte> Read(Invocation invocation, ulong address)
    {
        if (!invocation.Options.Checked)
            return MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)address);

        int readable = ReadablePrefix(invocation, address);
        var bytes = new ReadOnlySpan<byte>((void*)address, readable);
        int end = bytes.IndexOf((byte)0);
        if (end < 0)
        {
            invocation.HelperRead(address, (long)readable + 1); // stops the program: the NUL lies past the memory
            return bytes;
        }

        return bytes[..end];
    }

    private static int ReadablePrefix(Invocation invocation, ulong address)
    {
        int low = 0, high = int.MaxValue;
        while (low < high)
        {
            int middle = low + (int)(((long)high - low + 1) / 2);
            if (invocation.CanRead(address, middle))
                low = middle;
            else
                high = middle - 1;
        }

        return low;
    }
}
