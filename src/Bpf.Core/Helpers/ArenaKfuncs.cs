using Bpf.Maps;
using Bpf.Runtime;

namespace Bpf.Helpers;

/// <summary>
/// The arena kfuncs (<see cref="ArenaMap"/>). The map argument is the value the program loaded with
/// <c>lddw rN, map</c> (a pointer to the map in Linux); anything that is not a live arena gets the
/// kfunc's failure value. In checked mode, pages a run allocates become its memory at once, and pages
/// it frees stop being so.
/// </summary>
public static class ArenaKfuncs
{
    /// <summary>
    /// <c>void *bpf_arena_alloc_pages(void *map, void *addr, u32 page_cnt, int node_id, u64 flags)</c>:
    /// the full address of <paramref name="r3"/> new zeroed pages, at <paramref name="r2"/> when it is not
    /// 0; 0 when there is no room, the count is 0 or the flags are not. The NUMA node is ignored.
    /// </summary>
    public static ulong AllocPages(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not ArenaMap arena || r5 != 0)
            return 0;
        uint pageCount = (uint)r3;
        ulong address = arena.TryAllocatePages(r2, pageCount);
        if (address != 0 && invocation.Options.Checked)
            invocation.AddRegion((nint)address, (nint)pageCount * ArenaMap.PageSize, writable: true);
        return address;
    }

    /// <summary>
    /// <c>void bpf_arena_free_pages(void *map, void *ptr, u32 page_cnt)</c>: frees <paramref name="r3"/>
    /// pages from the one holding <paramref name="r2"/> (its lower 32 bits: a pointer or an arena offset).
    /// Returns 0 (the kfunc returns nothing).
    /// </summary>
    public static ulong FreePages(ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, Invocation invocation)
    {
        if (BpfMap.FromHandle(r1) is not ArenaMap arena || r2 == 0)
            return 0;
        var (start, length) = arena.FreePages(r2, (uint)r3);
        if (length > 0 && invocation.Options.Checked)
            invocation.RemoveRegion(start, length);
        return 0;
    }
}
