using Bpf.Isa;
using Bpf.Maps;
using static Bpf.Verification.HelperArgument;

namespace Bpf.Verification;

/// <summary>
/// The prototypes of the built-in helpers (every helper <see cref="Helpers.HelperRegistry.Default"/>
/// registers), written from the kernel's <c>bpf_func_proto</c> definitions: kernel/bpf/helpers.c,
/// kernel/bpf/core.c (<c>bpf_tail_call_proto</c>), kernel/bpf/bpf_iter.c (<c>bpf_loop</c>,
/// <c>bpf_for_each_map_elem</c>), kernel/bpf/ringbuf.c, kernel/trace/bpf_trace.c and net/core/filter.c,
/// as of Linux 6.18. Helpers a host adds have no prototype here; the verifier cannot check calls to them.
/// </summary>
public static class HelperPrototypes
{
    private static readonly Dictionary<int, HelperPrototype> s_prototypes = Build().ToDictionary(p => p.Id);

    /// <summary>Every prototype, by helper number.</summary>
    public static IEnumerable<HelperPrototype> All => s_prototypes.Values.OrderBy(p => p.Id);

    /// <summary>The prototype of helper <paramref name="id"/>, or null if it has none.</summary>
    public static HelperPrototype? Find(long id) =>
        id is >= 0 and <= int.MaxValue && s_prototypes.TryGetValue((int)id, out var prototype) ? prototype : null;

    /// <summary>The prototype of <paramref name="helper"/>.</summary>
    /// <exception cref="KeyNotFoundException">The helper has no prototype here.</exception>
    public static HelperPrototype Get(LinuxHelper helper) =>
        Find((int)helper) ?? throw new KeyNotFoundException($"helper {helper} ({(int)helper}) has no prototype");

    private static HelperPrototype Helper(LinuxHelper helper, HelperReturn returns, params HelperArgument[] arguments) =>
        new((int)helper, LinuxHelpers.NameOf((int)helper) ?? helper.ToString(), returns, arguments);

    private static IEnumerable<HelperPrototype> Build()
    {
        BpfMapType[] queueOrStack = [BpfMapType.Queue, BpfMapType.Stack];
        BpfMapType[] queueStackOrBloom = [BpfMapType.Queue, BpfMapType.Stack, BpfMapType.BloomFilter];
        BpfMapType[] ringbuf = [BpfMapType.Ringbuf];

        // kernel/bpf/helpers.c: map operations. Lookup, update, delete, push and the per-CPU lookup
        // take packet pointers (pkt_access); pop and peek write the value and do not.
        yield return Helper(LinuxHelper.MapLookupElem, HelperReturn.MapValueOrNull, MapPointer, MapKey) with { PacketAccess = true };
        yield return Helper(LinuxHelper.MapUpdateElem, HelperReturn.Integer, MapPointer, MapKey, MapValue, Anything) with { PacketAccess = true };
        yield return Helper(LinuxHelper.MapDeleteElem, HelperReturn.Integer, MapPointer, MapKey) with { PacketAccess = true };
        yield return Helper(LinuxHelper.MapPushElem, HelperReturn.Integer, MapPointer, MapValue, Anything) with { PacketAccess = true, MapTypes = queueStackOrBloom };
        yield return Helper(LinuxHelper.MapPopElem, HelperReturn.Integer, MapPointer, UninitMapValue) with { MapTypes = queueOrStack };
        yield return Helper(LinuxHelper.MapPeekElem, HelperReturn.Integer, MapPointer, UninitMapValue) with { MapTypes = queueStackOrBloom };
        yield return Helper(LinuxHelper.MapLookupPercpuElem, HelperReturn.MapValueOrNull, MapPointer, MapKey, Anything) with
        {
            PacketAccess = true,
            MapTypes = [BpfMapType.PercpuArray, BpfMapType.PercpuHash, BpfMapType.LruPercpuHash],
        };

        // kernel/bpf/bpf_iter.c: callbacks return 0 (go on) or 1 (stop). The maps are those whose
        // ops have map_for_each_callback (set_map_elem_callback_state refuses the others).
        yield return Helper(LinuxHelper.ForEachMapElem, HelperReturn.Integer, MapPointer, Function, CallbackContext, Anything) with
        {
            MapTypes = [BpfMapType.Array, BpfMapType.PercpuArray, BpfMapType.Hash, BpfMapType.PercpuHash, BpfMapType.LruHash, BpfMapType.LruPercpuHash],
            CallbackArguments = [CallbackArgument.Map, CallbackArgument.MapKey, CallbackArgument.MapValue, CallbackArgument.CallbackContext],
            CallbackReturnRange = ReturnRange.ZeroOrOne,
        };
        yield return Helper(LinuxHelper.Loop, HelperReturn.Integer, Anything, Function, CallbackContext, Anything) with
        {
            CallbackArguments = [CallbackArgument.Scalar, CallbackArgument.CallbackContext],
            CallbackReturnRange = ReturnRange.ZeroOrOne,
        };

        // kernel/trace/bpf_trace.c: the probe reads fill their destination even on failure (zeroes).
        foreach (var probe in new[]
                 {
                     LinuxHelper.ProbeRead, LinuxHelper.ProbeReadStr, LinuxHelper.ProbeReadUser, LinuxHelper.ProbeReadKernel,
                     LinuxHelper.ProbeReadUserStr, LinuxHelper.ProbeReadKernelStr,
                 })
        {
            yield return Helper(probe, HelperReturn.Integer, UninitMemory, ConstSizeOrZero, Anything) with { GplOnly = true };
        }

        // Clocks and processor facts.
        foreach (var scalar in new[]
                 {
                     LinuxHelper.KtimeGetNs, LinuxHelper.KtimeGetBootNs, LinuxHelper.KtimeGetCoarseNs, LinuxHelper.KtimeGetTaiNs,
                     LinuxHelper.Jiffies64, LinuxHelper.GetPrandomU32, LinuxHelper.GetSmpProcessorId, LinuxHelper.GetNumaNodeId,
                     LinuxHelper.GetCurrentPidTgid, LinuxHelper.GetCurrentUidGid,
                 })
        {
            yield return Helper(scalar, HelperReturn.Integer);
        }

        yield return Helper(LinuxHelper.GetCurrentComm, HelperReturn.Integer, UninitMemory, ConstSize);
        yield return Helper(LinuxHelper.GetCurrentTask, HelperReturn.Integer) with { GplOnly = true };

        // Printing: the format is any readable memory for trace_printk/vprintk, a .rodata string for snprintf.
        yield return Helper(LinuxHelper.TracePrintk, HelperReturn.Integer, Memory, ConstSize) with { GplOnly = true };
        yield return Helper(LinuxHelper.TraceVprintk, HelperReturn.Integer, Memory, ConstSize, Memory | MaybeNull, ConstSizeOrZero) with { GplOnly = true };
        yield return Helper(LinuxHelper.Snprintf, HelperReturn.Integer, WritableMemory | MaybeNull, ConstSizeOrZero, ConstString, Memory | MaybeNull, ConstSizeOrZero) with { GplOnly = true };

        // kernel/bpf/core.c: the tail call does not return when it succeeds.
        yield return Helper(LinuxHelper.TailCall, HelperReturn.Void, Context, MapPointer, Anything) with { MapTypes = [BpfMapType.ProgArray] };

        // bpf_perf_event_output, bpf_skb_event_output and bpf_xdp_event_output share one shape.
        yield return Helper(LinuxHelper.PerfEventOutput, HelperReturn.Integer, Context, MapPointer, Anything, Memory, ConstSizeOrZero) with
        {
            GplOnly = true,
            MapTypes = [BpfMapType.PerfEventArray],
        };

        // net/core/filter.c
        yield return Helper(LinuxHelper.CsumDiff, HelperReturn.Integer, Memory | MaybeNull, ConstSizeOrZero, Memory | MaybeNull, ConstSizeOrZero, Anything) with { PacketAccess = true };
        yield return Helper(LinuxHelper.XdpAdjustHead, HelperReturn.Integer, Context, Anything) with { ChangesPacketData = true };
        yield return Helper(LinuxHelper.XdpAdjustMeta, HelperReturn.Integer, Context, Anything) with { ChangesPacketData = true };
        yield return Helper(LinuxHelper.XdpAdjustTail, HelperReturn.Integer, Context, Anything) with { ChangesPacketData = true };

        // Spin locks: only the unlock may be called while the lock is held.
        yield return Helper(LinuxHelper.SpinLock, HelperReturn.Void, HelperArgument.SpinLock);
        yield return Helper(LinuxHelper.SpinUnlock, HelperReturn.Void, HelperArgument.SpinLock) with { AllowedUnderSpinLock = true };

        // Strings and numbers.
        yield return Helper(LinuxHelper.Strtol, HelperReturn.Integer, Memory, ConstSize, Anything, LongOutput);
        yield return Helper(LinuxHelper.Strtoul, HelperReturn.Integer, Memory, ConstSize, Anything, LongOutput);
        yield return Helper(LinuxHelper.Strncmp, HelperReturn.Integer, Memory, ConstSize, ConstString);

        // kernel/bpf/ringbuf.c: a reservation is a reference released by submit or discard.
        yield return Helper(LinuxHelper.RingbufOutput, HelperReturn.Integer, MapPointer, Memory, ConstSizeOrZero, Anything) with { MapTypes = ringbuf };
        yield return Helper(LinuxHelper.RingbufReserve, HelperReturn.RingbufMemoryOrNull, MapPointer, ConstAllocSizeOrZero, Anything) with
        {
            MapTypes = ringbuf,
            ReturnSizeArgument = 2,
        };
        yield return Helper(LinuxHelper.RingbufSubmit, HelperReturn.Void, RingbufMemory, Anything) with { ReleasesArgument = 1 };
        yield return Helper(LinuxHelper.RingbufDiscard, HelperReturn.Void, RingbufMemory, Anything) with { ReleasesArgument = 1 };
        yield return Helper(LinuxHelper.RingbufQuery, HelperReturn.Integer, MapPointer, Anything) with { MapTypes = ringbuf };
    }
}
