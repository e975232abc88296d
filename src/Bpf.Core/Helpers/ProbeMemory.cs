using System.Runtime.InteropServices;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// What a probe read may touch and how it copies: the memory the host declared
/// (<see cref="ExecutionOptions.ProbeRegions"/>) and the program's own memory, never anything else.
/// The probe helpers and the print helpers' <c>%s</c>, <c>%pks</c>, <c>%pI4</c>... follow
/// pointers no verifier can vouch for, so a bad one must give an error, as a faulting probe does in
/// Linux, and not crash the host or leak its memory.
/// </summary>
internal static unsafe class ProbeMemory
{
    /// <summary>True if a probe may read <paramref name="size"/> bytes at <paramref name="address"/>.</summary>
    public static bool IsReadable(Invocation invocation, ulong address, long size)
    {
        if (size == 0)
            return true;
        if (size < 0 || size > int.MaxValue)
            return false;
        var declared = invocation.Options.ProbeRegions;
        for (int i = 0; i < declared.Count; i++)
        {
            if (declared[i].Contains(address, (int)size))
                return true;
        }

        if (invocation.CanRead(address, size))
            return true;
        return !invocation.Options.Checked && IsUntrackedProgramMemory(invocation, address, (int)size);
    }

    /// <summary>
    /// Copies <paramref name="size"/> bytes as <c>bpf_probe_read_kernel</c> does: 0 on success; when
    /// the source is not readable, <c>-EFAULT</c> and a zeroed destination.
    /// </summary>
    public static long Copy(Invocation invocation, nint destination, ulong source, uint size)
    {
        if (IsReadable(invocation, source, size))
        {
            Buffer.MemoryCopy((void*)source, (void*)destination, size, size);
            return 0;
        }

        NativeMemory.Clear((void*)destination, size);
        return -Errno.EFAULT;
    }

    /// <summary>
    /// Copies a NUL-terminated string as Linux's <c>strncpy_from_kernel_nofault</c> does: at most
    /// <paramref name="count"/> bytes are read, the copy always ends with a NUL (a longer string is
    /// cut to <c>count - 1</c> bytes), and the result is the length copied including the NUL, or
    /// <c>-EFAULT</c> when a byte it had to read is not readable (the destination is then zeroed,
    /// as the probe helpers do). A count of 0 reads nothing and gives 0.
    /// </summary>
    public static long CopyString(Invocation invocation, nint destination, uint count, ulong source)
    {
        if (count == 0)
            return 0;
        int scan = (int)Math.Min(count, int.MaxValue);
        int readable = ReadablePrefix(invocation, source, scan);
        var bytes = new ReadOnlySpan<byte>((void*)source, readable);
        int end = bytes.IndexOf((byte)0);
        if (end >= 0)
        {
            bytes[..(end + 1)].CopyTo(new Span<byte>((void*)destination, end + 1));
            return end + 1;
        }

        if (readable == count)
        {
            // Linux reads all `count` bytes, then puts the NUL over the last one.
            bytes.CopyTo(new Span<byte>((void*)destination, readable));
            ((byte*)destination)[count - 1] = 0;
            return count;
        }

        NativeMemory.Clear((void*)destination, count);
        return -Errno.EFAULT;
    }

    /// <summary><see cref="CopyString(Invocation, nint, uint, ulong)"/> into a buffer of the host's.</summary>
    public static long CopyString(Invocation invocation, Span<byte> destination, ulong source)
    {
        fixed (byte* start = destination)
            return CopyString(invocation, (nint)start, (uint)destination.Length, source);
    }

    /// <summary>How many bytes from <paramref name="address"/>, up to <paramref name="max"/>, a probe may read.</summary>
    public static int ReadablePrefix(Invocation invocation, ulong address, int max)
    {
        if (IsReadable(invocation, address, max))
            return max;

        // Every region is contiguous, so readable prefixes are: binary search for the longest.
        int low = 0, high = max - 1;
        while (low < high)
        {
            int middle = low + (high - low + 1) / 2;
            if (IsReadable(invocation, address, middle))
                low = middle;
            else
                high = middle - 1;
        }

        return low;
    }

    private static bool IsUntrackedProgramMemory(Invocation invocation, ulong address, int size)
    {
        if (invocation.Program is { } program)
        {
            foreach (var map in program.Image.Maps)
            {
                var regions = map.ValueRegions;
                for (int i = 0; i < regions.Count; i++)
                {
                    if (regions[i].Contains(address, size))
                        return true;
                }
            }
        }

        return ThreadStack.ContainsLive(address, size);
    }
}
