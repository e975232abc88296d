using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bpf.Helpers;

/// <summary>
/// The live part of the calling thread's stack: from the caller's frame up to the top of the
/// thread's stack, all of it mapped. Without checked mode the runtime does not track a program's
/// stack frames, yet they lie in this range (engines keep them on the native stack), so probe reads
/// and <c>%s</c> of a stack buffer work there as in Linux while wild pointers still fail. Known on
/// Linux (from <c>pthread_getattr_np</c>); elsewhere the range is empty.
/// </summary>
internal static unsafe partial class ThreadStack
{
    private const int AttributeBufferSize = 128; // pthread_attr_t is 56 bytes on x86-64, 64 on arm64

    [ThreadStatic]
    private static ulong t_top;

    [ThreadStatic]
    private static bool t_known;

    /// <summary>True if <paramref name="size"/> bytes at <paramref name="address"/> lie between the caller's frame and the top of this thread's stack.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool ContainsLive(ulong address, long size)
    {
        ulong top = Top();
        byte marker = 0;
        ulong bottom = (ulong)&marker;
        return top != 0 && address >= bottom && address < top && (ulong)size <= top - address;
    }

    private static ulong Top()
    {
        if (!t_known)
        {
            t_top = FindTop();
            t_known = true;
        }

        return t_top;
    }

    private static ulong FindTop()
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        try
        {
            byte* attributes = stackalloc byte[AttributeBufferSize];
            if (GetAttributes(Self(), attributes) != 0)
                return 0;
            nint start;
            nuint size;
            int error = GetStack(attributes, &start, &size);
            DestroyAttributes(attributes);
            return error == 0 ? (ulong)start + size : 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "pthread_self")]
    private static partial nuint Self();

    [LibraryImport("libc", EntryPoint = "pthread_getattr_np")]
    private static partial int GetAttributes(nuint thread, byte* attributes);

    [LibraryImport("libc", EntryPoint = "pthread_attr_getstack")]
    private static partial int GetStack(byte* attributes, nint* start, nuint* size);

    [LibraryImport("libc", EntryPoint = "pthread_attr_destroy")]
    private static partial int DestroyAttributes(byte* attributes);
}
