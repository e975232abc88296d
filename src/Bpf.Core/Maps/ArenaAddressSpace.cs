using System.Runtime.InteropServices;

namespace Bpf.Maps;

/// <summary>
/// The operating system's side of an arena: 4 GiB of address space aligned to 4 GiB, reserved and
/// inaccessible, in which pages are made accessible (zeroed) and given back. Linux (mmap) and
/// Windows (VirtualAlloc) only.
/// </summary>
/// <remarks>
/// A page given back stays mapped and writable, its memory returned to the system (zero-filled on
/// the next touch): a program still holding a pointer to it (one that runs unchecked, or a checked
/// run on another thread that learned of the page before it was freed) then writes to memory that
/// belongs to nobody instead of crashing the process. Checked mode stops new accesses through its
/// regions; the kernel, for its part, turns such faults into zero loads and ignored stores.
/// </remarks>
internal static unsafe partial class ArenaAddressSpace
{
    /// <summary>The size and alignment of the reservation: what a 32-bit arena offset spans.</summary>
    public const long Size = 1L << 32;

    /// <summary>
    /// Reserves the address space: at <paramref name="requiredStart"/> when it is not 0 (a multiple of
    /// <see cref="Size"/>), anywhere aligned to <see cref="Size"/> otherwise.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux or Windows, or not a 64-bit process.</exception>
    /// <exception cref="InvalidOperationException">The system refused the reservation (or the address is taken).</exception>
    public static nint Reserve(ulong requiredStart)
    {
        if (!Environment.Is64BitProcess)
            throw new PlatformNotSupportedException("arenas need a 64-bit process: they reserve 4 GiB of address space");
        if (OperatingSystem.IsLinux())
            return Linux.Reserve(requiredStart);
        if (OperatingSystem.IsWindows())
            return Windows.Reserve(requiredStart);
        throw new PlatformNotSupportedException(
            $"arenas are implemented for Linux and Windows only (this is {RuntimeInformation.OSDescription}): they reserve 4 GiB of address space with the system's own calls");
    }

    /// <summary>Makes <paramref name="length"/> bytes at <paramref name="start"/> readable and writable, zeroed.</summary>
    /// <returns>False if the system refused (out of memory).</returns>
    public static bool Commit(nint start, nint length) =>
        OperatingSystem.IsWindows() ? Windows.Commit(start, length) : Linux.Commit(start, length);

    /// <summary>Gives the memory of <paramref name="length"/> bytes at <paramref name="start"/> back to the system; they stay mapped (see the remarks).</summary>
    public static void Discard(nint start, nint length)
    {
        if (OperatingSystem.IsWindows())
            Windows.Discard(start, length);
        else
            Linux.Discard(start, length);
    }

    /// <summary>Releases the whole reservation starting at <paramref name="start"/>.</summary>
    public static void Release(nint start)
    {
        if (OperatingSystem.IsWindows())
            Windows.Release(start);
        else
            Linux.Release(start);
    }

    private static partial class Linux
    {
        private const int ProtNone = 0;
        private const int ProtReadWrite = 1 | 2;
        private const int MapPrivate = 0x02;
        private const int MapAnonymous = 0x20;
        private const int MapNoReserve = 0x4000;
        private const int MapFixedNoReplace = 0x100000;
        private const int AdviseDontNeed = 4;
        private static readonly nint s_failed = -1;

        public static nint Reserve(ulong requiredStart)
        {
            const int Flags = MapPrivate | MapAnonymous | MapNoReserve;
            if (requiredStart != 0)
            {
                nint at = mmap((nint)requiredStart, Size, ProtNone, Flags | MapFixedNoReplace, -1, 0);
                if (at == s_failed)
                    throw new InvalidOperationException($"cannot reserve the arena at 0x{requiredStart:x} (errno {Marshal.GetLastPInvokeError()}): the address range is taken or invalid");
                if ((ulong)at != requiredStart)
                {
                    // A kernel older than 4.17 takes the address as a hint only.
                    munmap(at, Size);
                    throw new InvalidOperationException($"cannot reserve the arena at 0x{requiredStart:x}: the system placed it elsewhere");
                }

                return at;
            }

            // Twice the size, then the aligned 4 GiB in it is kept and the rest given back.
            nint start = mmap(0, 2 * Size, ProtNone, Flags, -1, 0);
            if (start == s_failed)
                throw new InvalidOperationException($"cannot reserve 8 GiB of address space for an arena (errno {Marshal.GetLastPInvokeError()})");
            ulong aligned = ((ulong)start + Size - 1) & ~(ulong)(Size - 1);
            ulong end = (ulong)start + 2 * Size;
            if (aligned != (ulong)start)
                munmap(start, (long)(aligned - (ulong)start));
            if (end != aligned + Size)
                munmap((nint)(aligned + Size), (long)(end - (aligned + Size)));
            return (nint)aligned;
        }

        // Fresh anonymous pages are zero; pages used before are dropped, so they read as zero again.
        public static bool Commit(nint start, nint length) =>
            mprotect(start, (nuint)length, ProtReadWrite) == 0 && madvise(start, (nuint)length, AdviseDontNeed) == 0;

        public static void Discard(nint start, nint length) => madvise(start, (nuint)length, AdviseDontNeed);

        public static void Release(nint start) => munmap(start, Size);

        [LibraryImport("libc", SetLastError = true)]
        private static partial nint mmap(nint address, nuint length, int protection, int flags, int descriptor, nint offset);

        [LibraryImport("libc", SetLastError = true)]
        private static partial int munmap(nint address, nuint length);

        [LibraryImport("libc", SetLastError = true)]
        private static partial int mprotect(nint address, nuint length, int protection);

        [LibraryImport("libc", SetLastError = true)]
        private static partial int madvise(nint address, nuint length, int advice);

        private static nint mmap(nint address, long length, int protection, int flags, int descriptor, nint offset) =>
            mmap(address, (nuint)length, protection, flags, descriptor, offset);

        private static void munmap(nint address, long length) => munmap(address, (nuint)length);
    }

    private static partial class Windows
    {
        private const uint MemCommit = 0x1000;
        private const uint MemReserve = 0x2000;
        private const uint MemReset = 0x80000;
        private const uint MemRelease = 0x8000;
        private const uint PageNoAccess = 0x01;
        private const uint PageReadWrite = 0x04;

        public static nint Reserve(ulong requiredStart)
        {
            if (requiredStart != 0)
            {
                nint at = VirtualAlloc((nint)requiredStart, Size, MemReserve, PageNoAccess);
                return at != 0 ? at : throw new InvalidOperationException($"cannot reserve the arena at 0x{requiredStart:x} (error {Marshal.GetLastPInvokeError()})");
            }

            // A reservation cannot be trimmed: find an aligned hole with a larger one, release it and
            // reserve the aligned part (another thread may take it meanwhile, hence the retries).
            for (int attempt = 0; attempt < 16; attempt++)
            {
                nint probe = VirtualAlloc(0, 2 * Size, MemReserve, PageNoAccess);
                if (probe == 0)
                    break;
                VirtualFree(probe, 0, MemRelease);
                nint aligned = (nint)(((ulong)probe + Size - 1) & ~(ulong)(Size - 1));
                nint at = VirtualAlloc(aligned, Size, MemReserve, PageNoAccess);
                if (at != 0)
                    return at;
            }

            throw new InvalidOperationException($"cannot reserve 4 GiB of address space aligned to 4 GiB for an arena (error {Marshal.GetLastPInvokeError()})");
        }

        // Committing pages that are already committed (given back with MEM_RESET) keeps their contents.
        public static bool Commit(nint start, nint length)
        {
            if (VirtualAlloc(start, length, MemCommit, PageReadWrite) == 0)
                return false;
            NativeMemory.Clear((void*)start, (nuint)length);
            return true;
        }

        public static void Discard(nint start, nint length) => VirtualAlloc(start, length, MemReset, PageReadWrite);

        public static void Release(nint start) => VirtualFree(start, 0, MemRelease);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        private static partial nint VirtualAlloc(nint address, nuint size, uint allocationType, uint protection);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static partial bool VirtualFree(nint address, nuint size, uint freeType);

        private static nint VirtualAlloc(nint address, long size, uint allocationType, uint protection) =>
            VirtualAlloc(address, (nuint)size, allocationType, protection);
    }
}
