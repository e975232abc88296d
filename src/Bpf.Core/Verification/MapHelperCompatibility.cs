using Bpf.Isa;
using Bpf.Maps;

namespace Bpf.Verification;

/// <summary>
/// Which helpers may take which maps, as the kernel's <c>check_map_func_compatibility</c> checks it
/// both ways: some map types serve only their own helpers (a program array only
/// <c>bpf_tail_call</c>, a ring buffer only the ring buffer helpers), and some helpers take only
/// their map types (<see cref="HelperPrototype.MapTypes"/>). The kernel says
/// "cannot pass map_type 27 into func bpf_map_lookup_elem#1" for a mismatch.
/// </summary>
/// <remarks>
/// Maps whose key or value size is 0 (queues, stacks, Bloom filters, ring buffers, arenas) are also
/// refused by the size check of <see cref="HelperArgument.MapKey"/> and <see cref="HelperArgument.MapValue"/>
/// arguments ("invalid zero-sized read"), which this table does not repeat.
/// </remarks>
public static class MapHelperCompatibility
{
    // The map side of check_map_func_compatibility: map types that allow only these helpers.
    private static readonly Dictionary<BpfMapType, LinuxHelper[]> s_mapSide = new()
    {
        [BpfMapType.ProgArray] = [LinuxHelper.TailCall],
        [BpfMapType.PerfEventArray] =
        [
            LinuxHelper.PerfEventRead, LinuxHelper.PerfEventOutput, LinuxHelper.SkbOutput,
            LinuxHelper.PerfEventReadValue, LinuxHelper.XdpOutput,
        ],
        [BpfMapType.Ringbuf] =
        [
            LinuxHelper.RingbufOutput, LinuxHelper.RingbufReserve, LinuxHelper.RingbufQuery,
            LinuxHelper.RingbufReserveDynptr, LinuxHelper.RingbufSubmitDynptr, LinuxHelper.RingbufDiscardDynptr,
        ],
        [BpfMapType.StackTrace] = [LinuxHelper.GetStackid],
        [BpfMapType.CgroupArray] = [LinuxHelper.SkbUnderCgroup, LinuxHelper.CurrentTaskUnderCgroup],
        [BpfMapType.Devmap] = [LinuxHelper.RedirectMap, LinuxHelper.MapLookupElem],
        [BpfMapType.DevmapHash] = [LinuxHelper.RedirectMap, LinuxHelper.MapLookupElem],
        [BpfMapType.Cpumap] = [LinuxHelper.RedirectMap],
        [BpfMapType.Xskmap] = [LinuxHelper.RedirectMap, LinuxHelper.MapLookupElem],
        [BpfMapType.ArrayOfMaps] = [LinuxHelper.MapLookupElem],
        [BpfMapType.HashOfMaps] = [LinuxHelper.MapLookupElem],
        [BpfMapType.Queue] = [LinuxHelper.MapPeekElem, LinuxHelper.MapPopElem, LinuxHelper.MapPushElem],
        [BpfMapType.Stack] = [LinuxHelper.MapPeekElem, LinuxHelper.MapPopElem, LinuxHelper.MapPushElem],
        [BpfMapType.BloomFilter] = [LinuxHelper.MapPeekElem, LinuxHelper.MapPushElem],
    };

    /// <summary>
    /// The helpers a map of type <paramref name="mapType"/> may be passed to, or null when its type
    /// does not restrict them (only the helpers' own <see cref="HelperPrototype.MapTypes"/> apply).
    /// </summary>
    public static IReadOnlyList<LinuxHelper>? HelpersAllowedFor(BpfMapType mapType) => s_mapSide.GetValueOrDefault(mapType);

    /// <summary>True if a map of type <paramref name="mapType"/> may be the map argument of <paramref name="prototype"/>.</summary>
    public static bool IsCompatible(HelperPrototype prototype, BpfMapType mapType)
    {
        ArgumentNullException.ThrowIfNull(prototype);
        if (prototype.MapTypes is { } helperSide && !helperSide.Contains(mapType))
            return false;
        if (prototype.IsKfunc)
            return true;
        return !s_mapSide.TryGetValue(mapType, out var mapSide) || mapSide.Contains((LinuxHelper)prototype.Id);
    }
}
