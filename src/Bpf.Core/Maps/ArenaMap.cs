using System.Numerics;
using Bpf.Runtime;

namespace Bpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_ARENA</c>: up to <see cref="BpfMap.MaxEntries"/> 4 KiB pages that programs allocate
/// (<c>bpf_arena_alloc_pages</c>) and free (<c>bpf_arena_free_pages</c>) while they run, shared with the
/// host at the same addresses. The arena lives in 4 GiB of address space aligned to 4 GiB
/// (<see cref="BpfMap.ArenaBase"/>), so a 32-bit arena offset becomes a pointer by taking the base's
/// upper half (<c>addr_space_cast</c>); pages are accessible only while allocated.
/// </summary>
/// <remarks>
/// As in Linux, the key and value sizes are 0, <see cref="BpfMapFlags.Mmapable"/> is required and
/// <see cref="BpfMapDefinition.MapExtra"/>, when not 0, is the address of the first page (the arena
/// is then reserved at that address). In checked mode a run may touch the pages allocated when it
/// started and those it allocates; pages it frees stop being accessible at once.
/// </remarks>
public sealed unsafe class ArenaMap : BpfMap
{
    /// <summary>The size of an arena page.</summary>
    public const int PageSize = 4096;

    /// <summary>The most pages an arena has: 4 GiB of them (the kernel's <c>E2BIG</c> beyond).</summary>
    public const int MaxPages = (int)(ArenaAddressSpace.Size / PageSize);

    // BPF_F_SEGV_ON_FAULT and BPF_F_NO_USER_CONV, the arena's own flags (accepted, not acted on).
    private const BpfMapFlags SegvOnFault = (BpfMapFlags)(1U << 17);
    private const BpfMapFlags NoUserConversion = (BpfMapFlags)(1U << 18);

    private readonly nint _reservation;
    private readonly ulong _userStart;
    private readonly ulong[] _allocated; // one bit per page
    private readonly Lock _gate = new();
    private MemoryRegion[] _regions = [];
    private int _allocatedCount;
    private int _released;

    /// <summary>Reserves the arena's address space; no page is allocated yet.</summary>
    /// <exception cref="ArgumentException">The definition breaks one of the kernel's rules (see the remarks of the class).</exception>
    /// <exception cref="PlatformNotSupportedException">The system is not Linux or Windows, or the process is not 64-bit.</exception>
    /// <exception cref="InvalidOperationException">The system refused the address space.</exception>
    public ArenaMap(BpfMapDefinition definition)
        : this(Validate(definition), ArenaAddressSpace.Reserve(definition.MapExtra & ~0xFFFF_FFFFUL))
    {
    }

    // The address space is reserved before the map gets a handle, so that a refusal leaves no half-made map behind one.
    private ArenaMap(BpfMapDefinition definition, nint reservation)
        : base(definition)
    {
        _reservation = reservation;
        _userStart = (ulong)_reservation + (uint)definition.MapExtra;
        _allocated = new ulong[(definition.MaxEntries + 63) / 64];
    }

    /// <inheritdoc/>
    public override ulong ArenaBase => (ulong)_reservation;

    /// <summary>The address of the arena's first page (the kernel's <c>user_vm_start</c>); page <c>n</c> is <see cref="PageSize"/> times <c>n</c> past it.</summary>
    public ulong UserStart => _userStart;

    /// <summary>The arena's size in bytes: <see cref="BpfMap.MaxEntries"/> pages.</summary>
    public long Size => (long)MaxEntries * PageSize;

    /// <summary>The number of pages allocated now.</summary>
    public int AllocatedPages => Volatile.Read(ref _allocatedCount);

    /// <summary>The allocated pages, each run of consecutive pages one writable region.</summary>
    public override IReadOnlyList<MemoryRegion> ValueRegions => Volatile.Read(ref _regions);

    /// <summary>
    /// Allocates <paramref name="pageCount"/> consecutive pages, zeroed: at <paramref name="address"/> (a
    /// page-aligned address of the arena, only its lower 32 bits count) when it is not 0, else at the
    /// lowest free ones.
    /// </summary>
    /// <returns>The address of the first page.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pageCount"/> is not positive.</exception>
    /// <exception cref="BpfMapException">There is no room (or the pages at the address are taken, or it is not page-aligned): <c>ENOMEM</c>.</exception>
    public ulong AllocatePages(int pageCount, ulong address = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageCount);
        ThrowIfDisposed();
        ulong start = TryAllocatePages(address, (uint)pageCount);
        return start != 0 ? start : throw new BpfMapException(Name, Errno.ENOMEM, $"no room for {pageCount} pages{(address != 0 ? $" at 0x{address:x}" : "")}");
    }

    /// <summary>
    /// <c>bpf_arena_alloc_pages</c>: allocates <paramref name="pageCount"/> pages as <see cref="AllocatePages"/>
    /// does, with the kernel's answer to failures: 0.
    /// </summary>
    public ulong TryAllocatePages(ulong address, uint pageCount)
    {
        if (pageCount == 0 || pageCount > (uint)MaxEntries)
            return 0;
        lock (_gate)
        {
            if (Volatile.Read(ref _released) != 0)
                return 0;
            int first;
            if (address != 0)
            {
                if ((address & (PageSize - 1)) != 0)
                    return 0;
                long page = (uint)(address - (uint)_userStart) / PageSize;
                if (page > MaxEntries - pageCount || NextAllocated((int)page) < page + pageCount)
                    return 0;
                first = (int)page;
            }
            else
            {
                first = FirstFreeRun((int)pageCount);
                if (first < 0)
                    return 0;
            }

            nint start = (nint)(_userStart + (ulong)first * PageSize);
            if (!ArenaAddressSpace.Commit(start, (nint)pageCount * PageSize))
                return 0;
            for (int page = first; page < first + (int)pageCount; page++)
                _allocated[page / 64] |= 1UL << (page % 64);
            _allocatedCount += (int)pageCount;
            PublishRegions();
            return (ulong)start;
        }
    }

    /// <summary>
    /// Frees <paramref name="pageCount"/> pages from the page holding <paramref name="address"/> (only its
    /// lower 32 bits count), as <c>bpf_arena_free_pages</c>; pages in the range that are not allocated, or
    /// past the arena's end, are left alone.
    /// </summary>
    /// <returns>The range the call covered, clipped to the arena (what checked mode stops allowing); length 0 if none.</returns>
    public (nint Start, nint Length) FreePages(ulong address, uint pageCount)
    {
        ulong start = (_userStart & ~0xFFFF_FFFFUL) + ((uint)address & ~(uint)(PageSize - 1));
        ulong end = Math.Min(_userStart + (ulong)Size, start + (ulong)pageCount * PageSize);
        start = Math.Max(start, _userStart);
        if (pageCount == 0 || start >= end)
            return (0, 0);
        lock (_gate)
        {
            if (Volatile.Read(ref _released) != 0)
                return (0, 0);
            int first = (int)((start - _userStart) / PageSize);
            int last = (int)((end - _userStart) / PageSize);
            int freed = 0;
            for (int page = first; page < last; page++)
            {
                ulong bit = 1UL << (page % 64);
                if ((_allocated[page / 64] & bit) == 0)
                    continue;
                _allocated[page / 64] &= ~bit;
                ArenaAddressSpace.Discard((nint)(_userStart + (ulong)page * PageSize), PageSize);
                freed++;
            }

            if (freed > 0)
            {
                _allocatedCount -= freed;
                PublishRegions();
            }
        }

        return ((nint)start, (nint)(end - start));
    }

    /// <summary>True if the page holding <paramref name="address"/> (a full address) is allocated.</summary>
    public bool IsAllocated(ulong address)
    {
        ulong offset = address - _userStart;
        if (offset >= (ulong)Size)
            return false;
        int page = (int)(offset / PageSize);
        return (Volatile.Read(ref _allocated[page / 64]) & (1UL << (page % 64))) != 0;
    }

    /// <summary>
    /// The bytes at <paramref name="offset"/> from <see cref="UserStart"/>, in place: the memory programs
    /// see at <see cref="UserStart"/> plus <paramref name="offset"/>. Every page the span touches must be allocated.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the arena.</exception>
    /// <exception cref="ArgumentException">A page of the range is not allocated.</exception>
    public Span<byte> AsSpan(long offset, int length) => new((void*)CheckedRange(offset, length), length);

    /// <summary>Like <see cref="AsSpan"/>, as a <see cref="Memory{T}"/> (valid while the map's memory is: until it is disposed and no program uses it).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the arena.</exception>
    /// <exception cref="ArgumentException">A page of the range is not allocated.</exception>
    public Memory<byte> AsMemory(long offset, int length) => new ArenaMemoryManager(CheckedRange(offset, length), length).Memory;

    /// <inheritdoc/>
    protected override void FreeMemory()
    {
        lock (_gate)
        {
            Volatile.Write(ref _released, 1);
            Volatile.Write(ref _regions, []);
            ArenaAddressSpace.Release(_reservation);
        }
    }

    private nint CheckedRange(long offset, int length)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > Size - length)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"map {Name}: {length} bytes at offset {offset} are not inside the arena ({Size} bytes)");
        for (long page = offset / PageSize; page * PageSize < offset + length; page++)
        {
            if (!IsAllocated(_userStart + (ulong)page * PageSize))
                throw new ArgumentException($"map {Name}: page {page} (offset {page * PageSize}) is not allocated", nameof(offset));
        }

        return (nint)(_userStart + (ulong)offset);
    }

    // The first page at or after `page` that is allocated (MaxEntries if none).
    private int NextAllocated(int page) => NextWithBit(page, allocated: true);

    private int NextFree(int page) => NextWithBit(page, allocated: false);

    private int NextWithBit(int page, bool allocated)
    {
        while (page < MaxEntries)
        {
            ulong word = _allocated[page / 64];
            if (!allocated)
                word = ~word;
            word &= ~0UL << (page % 64);
            if (word != 0)
                return Math.Min(MaxEntries, page / 64 * 64 + BitOperations.TrailingZeroCount(word));
            page = (page / 64 + 1) * 64;
        }

        return MaxEntries;
    }

    // The lowest run of `count` free pages, as the kernel's range tree finds it; -1 if there is none.
    private int FirstFreeRun(int count)
    {
        int page = NextFree(0);
        while (page < MaxEntries)
        {
            int end = NextAllocated(page);
            if (end - page >= count)
                return page;
            page = NextFree(end);
        }

        return -1;
    }

    private void PublishRegions()
    {
        var regions = new List<MemoryRegion>();
        int page = NextAllocated(0);
        while (page < MaxEntries)
        {
            int end = NextFree(page);
            regions.Add(new MemoryRegion((nint)(_userStart + (ulong)page * PageSize), (nint)(end - page) * PageSize, Writable: true));
            page = NextAllocated(end);
        }

        Volatile.Write(ref _regions, regions.ToArray());
    }

    private static BpfMapDefinition Validate(BpfMapDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.KeySize != 0 || definition.ValueSize != 0)
            throw new ArgumentException($"map {definition.Name}: an arena has no keys or values (key and value size must be 0)", nameof(definition));
        if ((definition.Flags & BpfMapFlags.Mmapable) == 0)
            throw new ArgumentException($"map {definition.Name}: an arena needs BPF_F_MMAPABLE", nameof(definition));
        if ((definition.Flags & ~(BpfMapFlags.Mmapable | SegvOnFault | NoUserConversion)) != 0)
            throw new ArgumentException($"map {definition.Name}: flags {definition.Flags} are invalid for an arena", nameof(definition));
        if (definition.MaxEntries <= 0)
            throw new ArgumentException($"map {definition.Name}: an arena needs at least one page (max_entries)", nameof(definition));
        if (definition.MaxEntries > MaxPages)
            throw new ArgumentException($"map {definition.Name}: {definition.MaxEntries} pages are more than the 4 GiB an arena spans", nameof(definition));
        if ((definition.MapExtra & (PageSize - 1)) != 0)
            throw new ArgumentException($"map {definition.Name}: the arena's address (map_extra 0x{definition.MapExtra:x}) is not page-aligned", nameof(definition));
        ulong last = definition.MapExtra + (ulong)definition.MaxEntries * PageSize - 1;
        if (definition.MapExtra >> 32 != last >> 32)
            throw new ArgumentException($"map {definition.Name}: the arena at 0x{definition.MapExtra:x} would cross a 4 GiB boundary", nameof(definition));
        return definition;
    }
}
