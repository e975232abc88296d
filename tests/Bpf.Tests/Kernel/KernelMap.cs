using System.Runtime.InteropServices;
using Bpf.Maps;

namespace Bpf.Tests.Kernel;

/// <summary>
/// A map of the running Linux kernel, through the <c>bpf(2)</c> system call, so that tests can run
/// the same operations on it and on our maps. Results are the kernel's: 0 or a positive errno.
/// </summary>
/// <remarks>
/// The <c>union bpf_attr</c> layouts are written out from the uapi header's documentation:
/// for <c>BPF_MAP_CREATE</c>, <c>map_type</c>, <c>key_size</c>, <c>value_size</c>,
/// <c>max_entries</c> and <c>map_flags</c> as consecutive 32-bit fields (the rest zero); for the
/// element commands, <c>map_fd</c> (32 bits, then 4 bytes of padding), then the 64-bit pointers
/// <c>key</c> and <c>value</c> (or <c>next_key</c>) and the 64-bit <c>flags</c>.
/// </remarks>
internal sealed unsafe partial class KernelMap : IDisposable
{
    private const long BpfSyscallX64 = 321;
    private const int MapCreate = 0;
    private const int MapLookupElem = 1;
    private const int MapUpdateElem = 2;
    private const int MapDeleteElem = 3;
    private const int MapGetNextKey = 4;
    private const int CreateAttrSize = 72;
    private const int ErrnoEPERM = 1;
    private const int ErrnoENOSYS = 38;

    private int _fd;

    private KernelMap(int fd, BpfMapType type, int keySize, int valueSize, int maxEntries)
    {
        _fd = fd;
        Type = type;
        KeySize = keySize;
        ValueSize = valueSize;
        MaxEntries = maxEntries;
    }

    /// <summary>The map type.</summary>
    public BpfMapType Type { get; }

    /// <summary>The key size.</summary>
    public int KeySize { get; }

    /// <summary>The value size.</summary>
    public int ValueSize { get; }

    /// <summary>max_entries.</summary>
    public int MaxEntries { get; }

    /// <summary>The kernel's number of possible CPUs: the slots of its per-CPU values.</summary>
    public static int PossibleCpus { get; } = ReadPossibleCpus();

    /// <summary>
    /// Creates a kernel map, or explains why the kernel cannot be used here (not Linux on x86-64,
    /// not root, or the system call refused: no BPF, not permitted).
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel refused the map for another reason (a bad definition: a test bug).</exception>
    public static KernelMap? TryCreate(BpfMapType type, int keySize, int valueSize, int maxEntries, BpfMapFlags flags, out string whyNot)
    {
        whyNot = "";
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            whyNot = $"the kernel comparison needs Linux on x86-64 (bpf is system call {BpfSyscallX64} there), not {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture}";
            return null;
        }

        if (GetEffectiveUserId() != 0)
        {
            whyNot = "the kernel comparison needs root to create BPF maps";
            return null;
        }

        byte* attr = stackalloc byte[CreateAttrSize];
        new Span<byte>(attr, CreateAttrSize).Clear();
        ((uint*)attr)[0] = (uint)type;
        ((uint*)attr)[1] = (uint)keySize;
        ((uint*)attr)[2] = (uint)valueSize;
        ((uint*)attr)[3] = (uint)maxEntries;
        ((uint*)attr)[4] = (uint)flags;
        long fd = Bpf(MapCreate, attr, CreateAttrSize);
        if (fd >= 0)
            return new KernelMap((int)fd, type, keySize, valueSize, maxEntries);
        int errno = (int)-fd;
        if (errno is ErrnoEPERM or ErrnoENOSYS)
        {
            whyNot = $"the kernel refused BPF_MAP_CREATE with errno {errno} ({(errno == ErrnoEPERM ? "EPERM: not permitted" : "ENOSYS: no bpf system call")})";
            return null;
        }

        throw new InvalidOperationException($"BPF_MAP_CREATE of {type} key {keySize} value {valueSize} max_entries {maxEntries} flags {flags} failed with errno {errno}");
    }

    /// <summary><c>BPF_MAP_LOOKUP_ELEM</c>: 0 and the value (all CPUs' for per-CPU maps), or an errno.</summary>
    public int Lookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
            return Element(MapLookupElem, k, v, 0);
    }

    /// <summary><c>BPF_MAP_UPDATE_ELEM</c>: 0 or an errno.</summary>
    public int Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
            return Element(MapUpdateElem, k, v, flags);
    }

    /// <summary><c>BPF_MAP_DELETE_ELEM</c>: 0 or an errno.</summary>
    public int Delete(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
            return Element(MapDeleteElem, k, null, 0);
    }

    /// <summary><c>BPF_MAP_GET_NEXT_KEY</c> (an empty key asks for the first): 0 and the next key, or an errno.</summary>
    public int GetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        fixed (byte* k = key)
        fixed (byte* next = nextKey)
            return Element(MapGetNextKey, key.IsEmpty ? null : k, next, 0);
    }

    /// <summary>Every key, in the kernel's order.</summary>
    public List<byte[]> Keys()
    {
        var keys = new List<byte[]>();
        var key = Array.Empty<byte>();
        var next = new byte[KeySize];
        while (GetNextKey(key, next) == 0 && keys.Count <= MaxEntries)
        {
            keys.Add((byte[])next.Clone());
            key = (byte[])next.Clone();
        }

        return keys;
    }

    /// <summary>Closes the map's descriptor.</summary>
    public void Dispose()
    {
        if (_fd > 0)
            Close(_fd);
        _fd = -1;
    }

    private int Element(int command, byte* key, byte* value, ulong flags)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        const int Size = 32;
        byte* attr = stackalloc byte[Size];
        new Span<byte>(attr, Size).Clear();
        *(uint*)attr = (uint)_fd;
        *(ulong*)(attr + 8) = (ulong)key;
        *(ulong*)(attr + 16) = (ulong)value;
        *(ulong*)(attr + 24) = flags;
        long result = Bpf(command, attr, Size);
        return result < 0 ? (int)-result : 0;
    }

    private static long Bpf(int command, byte* attr, int size)
    {
        long result = Syscall(BpfSyscallX64, command, attr, size);
        return result < 0 ? -Marshal.GetLastPInvokeError() : result;
    }

    private static int ReadPossibleCpus()
    {
        // "0-7", "0", or a list like "0-3,8-11": the highest CPU number plus one.
        try
        {
            string text = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
            int highest = text.Split(',').Select(range => int.Parse(range.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture)).Max();
            return highest + 1;
        }
        catch (IOException)
        {
            return Environment.ProcessorCount;
        }
        catch (UnauthorizedAccessException)
        {
            return Environment.ProcessorCount;
        }
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, void* attr, long size);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
