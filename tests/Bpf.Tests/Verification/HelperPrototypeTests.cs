using Bpf.Helpers;
using Bpf.Isa;
using Bpf.Maps;
using Bpf.Runtime;
using Bpf.Verification;
using static Bpf.Verification.HelperArgument;

namespace Bpf.Tests.Verification;

/// <summary>
/// The helper and kfunc prototypes cover exactly the built-in helpers and kfuncs, and say what the
/// kernel's <c>bpf_func_proto</c> definitions say. Expected values are copied from the kernel
/// sources named in each case (Linux 6.18), not from the tables.
/// </summary>
public sealed class HelperPrototypeTests
{
    [Test]
    public void EveryRegisteredHelperHasAPrototypeUnderItsName()
    {
        Assert.Multiple(() =>
        {
            foreach (var helper in HelperRegistry.Default.All)
            {
                var prototype = HelperPrototypes.Find(helper.Id);
                Assert.That(prototype, Is.Not.Null, $"{helper.Name} ({helper.Id}) has no prototype");
                Assert.That(prototype?.Name, Is.EqualTo(helper.Name));
                Assert.That(prototype?.IsKfunc, Is.False);
            }
        });
    }

    [Test]
    public void EveryPrototypeIsOfARegisteredHelper()
    {
        var registered = HelperRegistry.Default.All.Select(h => h.Id).ToHashSet();
        Assert.That(HelperPrototypes.All.Select(p => p.Id).Where(id => !registered.Contains(id)), Is.Empty);
    }

    [Test]
    public void TheTableHoldsTheHelpersTheBriefListed()
    {
        int[] expected =
        [
            1, 2, 3, 87, 88, 89, 164, 195, 4, 45, 112, 113, 114, 115, 5, 118, 125, 160, 208, 6, 165, 177, 7, 8, 42, 12,
            14, 15, 16, 35, 25, 28, 44, 54, 65, 93, 94, 105, 106, 182, 130, 131, 132, 133, 134, 181,
        ];
        Assert.That(HelperPrototypes.All.Select(p => p.Id), Is.EquivalentTo(expected));
    }

    [Test]
    public void EveryBuiltInKfuncHasAPrototypeAndViceVersa()
    {
        var registered = KfuncRegistry.Default.All.Select(k => k.Name).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(KfuncPrototypes.All.Select(p => p.Name), Is.EquivalentTo(registered));
            Assert.That(KfuncPrototypes.All.All(p => p.IsKfunc && p.Id == HelperPrototype.KfuncId), Is.True);
        });
    }

    [Test]
    public void UnknownHelpersAndKfuncsHaveNoPrototype()
    {
        Assert.Multiple(() =>
        {
            Assert.That(HelperPrototypes.Find(9), Is.Null, "bpf_skb_store_bytes is not a built-in helper");
            Assert.That(HelperPrototypes.Find(-1), Is.Null);
            Assert.That(HelperPrototypes.Find(long.MaxValue), Is.Null);
            Assert.That(KfuncPrototypes.Find("bpf_obj_new_impl"), Is.Null);
            Assert.Throws<KeyNotFoundException>(() => HelperPrototypes.Get(LinuxHelper.SkbStoreBytes));
        });
    }

    private static IEnumerable<TestCaseData> KernelPrototypes()
    {
        // kernel/bpf/helpers.c, bpf_map_lookup_elem_proto: RET_PTR_TO_MAP_VALUE_OR_NULL, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, pkt_access
        yield return Case(LinuxHelper.MapLookupElem, HelperReturn.MapValueOrNull, [MapPointer, MapKey], packetAccess: true);
        // bpf_map_update_elem_proto: RET_INTEGER, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING, pkt_access
        yield return Case(LinuxHelper.MapUpdateElem, HelperReturn.Integer, [MapPointer, MapKey, MapValue, Anything], packetAccess: true);
        // bpf_map_delete_elem_proto
        yield return Case(LinuxHelper.MapDeleteElem, HelperReturn.Integer, [MapPointer, MapKey], packetAccess: true);
        // bpf_map_push_elem_proto: ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING, pkt_access
        yield return Case(LinuxHelper.MapPushElem, HelperReturn.Integer, [MapPointer, MapValue, Anything], packetAccess: true);
        // bpf_map_pop_elem_proto: ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE, no pkt_access
        yield return Case(LinuxHelper.MapPopElem, HelperReturn.Integer, [MapPointer, UninitMapValue]);
        // bpf_map_peek_elem_proto
        yield return Case(LinuxHelper.MapPeekElem, HelperReturn.Integer, [MapPointer, UninitMapValue]);
        // bpf_map_lookup_percpu_elem_proto: ..., ARG_ANYTHING (the CPU), pkt_access
        yield return Case(LinuxHelper.MapLookupPercpuElem, HelperReturn.MapValueOrNull, [MapPointer, MapKey, Anything], packetAccess: true);
        // kernel/bpf/bpf_iter.c, bpf_for_each_map_elem_proto: ARG_CONST_MAP_PTR, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING
        yield return Case(LinuxHelper.ForEachMapElem, HelperReturn.Integer, [MapPointer, Function, CallbackContext, Anything]);
        // bpf_loop_proto: ARG_ANYTHING, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING
        yield return Case(LinuxHelper.Loop, HelperReturn.Integer, [Anything, Function, CallbackContext, Anything]);
        // kernel/trace/bpf_trace.c, bpf_probe_read_kernel_proto: gpl_only, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING
        yield return Case(LinuxHelper.ProbeReadKernel, HelperReturn.Integer, [UninitMemory, ConstSizeOrZero, Anything], gpl: true);
        // bpf_probe_read_compat_str_proto (helper 45)
        yield return Case(LinuxHelper.ProbeReadStr, HelperReturn.Integer, [UninitMemory, ConstSizeOrZero, Anything], gpl: true);
        // kernel/bpf/helpers.c, bpf_ktime_get_ns_proto: RET_INTEGER, no arguments
        yield return Case(LinuxHelper.KtimeGetNs, HelperReturn.Integer, []);
        // bpf_get_current_comm_proto: ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE
        yield return Case(LinuxHelper.GetCurrentComm, HelperReturn.Integer, [UninitMemory, ConstSize]);
        // kernel/trace/bpf_trace.c, bpf_get_current_task_proto: gpl_only, RET_INTEGER
        yield return Case(LinuxHelper.GetCurrentTask, HelperReturn.Integer, [], gpl: true);
        // bpf_trace_printk_proto: gpl_only, ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE
        yield return Case(LinuxHelper.TracePrintk, HelperReturn.Integer, [Memory, ConstSize], gpl: true);
        // bpf_trace_vprintk_proto: ..., ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO
        yield return Case(LinuxHelper.TraceVprintk, HelperReturn.Integer, [Memory, ConstSize, Memory | MaybeNull, ConstSizeOrZero], gpl: true);
        // kernel/bpf/helpers.c, bpf_snprintf_proto: gpl_only, ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE, ARG_CONST_SIZE_OR_ZERO,
        // ARG_PTR_TO_CONST_STR, ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO
        yield return Case(LinuxHelper.Snprintf, HelperReturn.Integer, [WritableMemory | MaybeNull, ConstSizeOrZero, ConstString, Memory | MaybeNull, ConstSizeOrZero], gpl: true);
        // kernel/bpf/core.c, bpf_tail_call_proto: RET_VOID, ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING
        yield return Case(LinuxHelper.TailCall, HelperReturn.Void, [Context, MapPointer, Anything]);
        // kernel/trace/bpf_trace.c, bpf_perf_event_output_proto (and filter.c's skb/xdp versions): gpl_only,
        // ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO
        yield return Case(LinuxHelper.PerfEventOutput, HelperReturn.Integer, [Context, MapPointer, Anything, Memory, ConstSizeOrZero], gpl: true);
        // net/core/filter.c, bpf_csum_diff_proto: pkt_access, ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO (twice), ARG_ANYTHING
        yield return Case(LinuxHelper.CsumDiff, HelperReturn.Integer, [Memory | MaybeNull, ConstSizeOrZero, Memory | MaybeNull, ConstSizeOrZero, Anything], packetAccess: true);
        // bpf_xdp_adjust_head_proto / _meta / _tail: ARG_PTR_TO_CTX, ARG_ANYTHING
        yield return Case(LinuxHelper.XdpAdjustHead, HelperReturn.Integer, [Context, Anything]);
        yield return Case(LinuxHelper.XdpAdjustMeta, HelperReturn.Integer, [Context, Anything]);
        yield return Case(LinuxHelper.XdpAdjustTail, HelperReturn.Integer, [Context, Anything]);
        // kernel/bpf/helpers.c, bpf_spin_lock_proto / bpf_spin_unlock_proto: RET_VOID, ARG_PTR_TO_SPIN_LOCK
        yield return Case(LinuxHelper.SpinLock, HelperReturn.Void, [HelperArgument.SpinLock]);
        yield return Case(LinuxHelper.SpinUnlock, HelperReturn.Void, [HelperArgument.SpinLock]);
        // bpf_strtol_proto: ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE, ARG_ANYTHING,
        // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED with arg4_size = sizeof(s64)
        yield return Case(LinuxHelper.Strtol, HelperReturn.Integer, [Memory, ConstSize, Anything, LongOutput]);
        yield return Case(LinuxHelper.Strtoul, HelperReturn.Integer, [Memory, ConstSize, Anything, LongOutput]);
        // bpf_strncmp_proto: ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE, ARG_PTR_TO_CONST_STR
        yield return Case(LinuxHelper.Strncmp, HelperReturn.Integer, [Memory, ConstSize, ConstString]);
        // kernel/bpf/ringbuf.c, bpf_ringbuf_output_proto: ARG_CONST_MAP_PTR, ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING
        yield return Case(LinuxHelper.RingbufOutput, HelperReturn.Integer, [MapPointer, Memory, ConstSizeOrZero, Anything]);
        // bpf_ringbuf_reserve_proto: RET_PTR_TO_RINGBUF_MEM_OR_NULL, ARG_CONST_MAP_PTR, ARG_CONST_ALLOC_SIZE_OR_ZERO, ARG_ANYTHING
        yield return Case(LinuxHelper.RingbufReserve, HelperReturn.RingbufMemoryOrNull, [MapPointer, ConstAllocSizeOrZero, Anything]);
        // bpf_ringbuf_submit_proto / bpf_ringbuf_discard_proto: RET_VOID, ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE, ARG_ANYTHING
        yield return Case(LinuxHelper.RingbufSubmit, HelperReturn.Void, [RingbufMemory, Anything]);
        yield return Case(LinuxHelper.RingbufDiscard, HelperReturn.Void, [RingbufMemory, Anything]);
        // bpf_ringbuf_query_proto: ARG_CONST_MAP_PTR, ARG_ANYTHING
        yield return Case(LinuxHelper.RingbufQuery, HelperReturn.Integer, [MapPointer, Anything]);
    }

    private static TestCaseData Case(LinuxHelper helper, HelperReturn returns, HelperArgument[] arguments, bool gpl = false, bool packetAccess = false) =>
        new TestCaseData(helper, returns, arguments, gpl, packetAccess).SetName($"Prototype of {LinuxHelpers.NameOf((int)helper)}");

    [TestCaseSource(nameof(KernelPrototypes))]
    public void PrototypeMatchesTheKernels(LinuxHelper helper, HelperReturn returns, HelperArgument[] arguments, bool gpl, bool packetAccess)
    {
        var prototype = HelperPrototypes.Get(helper);
        Assert.Multiple(() =>
        {
            Assert.That(prototype.Return, Is.EqualTo(returns), "return type");
            Assert.That(prototype.Arguments, Is.EqualTo(arguments), "argument types");
            Assert.That(prototype.GplOnly, Is.EqualTo(gpl), "gpl_only");
            Assert.That(prototype.PacketAccess, Is.EqualTo(packetAccess), "pkt_access");
        });
    }

    [TestCase(LinuxHelper.CsumDiff)]
    [TestCase(LinuxHelper.TracePrintk)]
    [TestCase(LinuxHelper.Strtol)]
    [TestCase(LinuxHelper.Strncmp)]
    public void PacketPointersReachOnlyPacketAccessHelpersInTheKernel(LinuxHelper helper)
    {
        if (!KernelVerifier.IsAvailable(out string whyNot))
            Assert.Ignore(whyNot);

        // XDP: r1 = data after checking data + 8 <= data_end, r2 = 8, r3-r5 = 0 (r4 = a stack slot for strtol).
        Instruction[] program =
        [
            new(0xbf, 6, 1), new(0x61, 2, 6, 0), new(0x61, 3, 6, 4), new(0xbf, 4, 2), new(0x07, 4, immediate: 8),
            new(0x2d, 4, 3, 7), new(0xbf, 1, 2), new(0xb7, 2, immediate: 8), new(0xb7, 3), new(0xbf, 4, 10), new(0x07, 4, immediate: -8),
            new(0xb7, 5), new(0x85, immediate: (int)helper), new(0xb7), new(0x95),
        ];
        var (_, log) = KernelVerifier.Load(BpfProgramKind.Xdp, program);
        bool kernelRefusesPacket = log.Contains("helper access to the packet is not allowed", StringComparison.Ordinal);
        Assert.That(HelperPrototypes.Get(helper).PacketAccess, Is.EqualTo(!kernelRefusesPacket), log);
    }

    [Test]
    public void TheGplOnlyHelpersAreThoseTheKernelMarks()
    {
        // gpl_only = true in bpf_trace.c (probe reads, trace_printk/vprintk, get_current_task,
        // perf_event_output) and helpers.c (snprintf); the running kernel refused exactly these
        // with "cannot call GPL-restricted function from non-GPL compatible program".
        int[] expected = [4, 6, 25, 35, 45, 112, 113, 114, 115, 165, 177];
        Assert.That(HelperPrototypes.All.Where(p => p.GplOnly).Select(p => p.Id), Is.EquivalentTo(expected));
    }

    [Test]
    public void OnlyTheXdpAdjustHelpersChangePacketData()
    {
        // net/core/filter.c, bpf_helper_changes_pkt_data: of the built-in helpers, xdp_adjust_head, _meta and _tail.
        Assert.That(
            HelperPrototypes.All.Where(p => p.ChangesPacketData).Select(p => (LinuxHelper)p.Id),
            Is.EquivalentTo(new[] { LinuxHelper.XdpAdjustHead, LinuxHelper.XdpAdjustMeta, LinuxHelper.XdpAdjustTail }));
    }

    [Test]
    public void OnlySpinUnlockMayBeCalledUnderASpinLock()
    {
        // verifier.c, do_check: "function calls are not allowed while holding a lock" except bpf_spin_unlock.
        Assert.That(HelperPrototypes.All.Where(p => p.AllowedUnderSpinLock).Select(p => (LinuxHelper)p.Id), Is.EqualTo(new[] { LinuxHelper.SpinUnlock }));
    }

    [Test]
    public void RingbufReserveAcquiresAReferenceThatSubmitAndDiscardRelease()
    {
        var reserve = HelperPrototypes.Get(LinuxHelper.RingbufReserve);
        Assert.Multiple(() =>
        {
            Assert.That(reserve.AcquiresReference, Is.True);
            Assert.That(reserve.ReturnSizeArgument, Is.EqualTo(2), "the size of the reservation is r2");
            Assert.That(reserve.ReleasesArgument, Is.Zero);
            Assert.That(HelperPrototypes.Get(LinuxHelper.RingbufSubmit).ReleasesArgument, Is.EqualTo(1));
            Assert.That(HelperPrototypes.Get(LinuxHelper.RingbufDiscard).ReleasesArgument, Is.EqualTo(1));
            Assert.That(HelperPrototypes.Get(LinuxHelper.RingbufOutput).AcquiresReference, Is.False);
            Assert.That(HelperPrototypes.All.Where(p => p.AcquiresReference).Select(p => (LinuxHelper)p.Id), Is.EqualTo(new[] { LinuxHelper.RingbufReserve }));
            Assert.That(HelperPrototypes.All.Where(p => p.ReleasesArgument != 0).Select(p => (LinuxHelper)p.Id),
                Is.EquivalentTo(new[] { LinuxHelper.RingbufSubmit, LinuxHelper.RingbufDiscard }));
        });
    }

    [Test]
    public void HelperMemoryArgumentsTakeTheirSizeFromTheNextArgument()
    {
        var vprintk = HelperPrototypes.Get(LinuxHelper.TraceVprintk);
        var csumDiff = HelperPrototypes.Get(LinuxHelper.CsumDiff);
        var update = HelperPrototypes.Get(LinuxHelper.MapUpdateElem);
        var strtol = HelperPrototypes.Get(LinuxHelper.Strtol);
        Assert.Multiple(() =>
        {
            Assert.That(vprintk.SizeArgumentOf(1), Is.EqualTo(2));
            Assert.That(vprintk.SizeArgumentOf(3), Is.EqualTo(4));
            Assert.That(vprintk.SizeArgumentOf(2), Is.Zero, "a size is not memory");
            Assert.That(csumDiff.SizeArgumentOf(1), Is.EqualTo(2));
            Assert.That(csumDiff.SizeArgumentOf(3), Is.EqualTo(4));
            Assert.That(update.SizeArgumentOf(2), Is.Zero, "a key's size is the map's");
            Assert.That(strtol.SizeArgumentOf(1), Is.EqualTo(2));
            Assert.That(strtol.SizeArgumentOf(4), Is.Zero, "the result pointer has a fixed size");
        });
    }

    [Test]
    public void EveryHelperMemoryArgumentHasASizeArgument()
    {
        Assert.Multiple(() =>
        {
            foreach (var prototype in HelperPrototypes.All.Concat(KfuncPrototypes.All))
            {
                for (int register = 1; register <= HelperPrototype.MaxArguments; register++)
                {
                    if (prototype.Argument(register).IsSizedMemory())
                        Assert.That(prototype.SizeArgumentOf(register), Is.Not.Zero, $"{prototype.Name} argument {register}");
                }
            }
        });
    }

    [Test]
    public void ArgumentsPastTheListAreUnusedAndRegistersOutsideR1ToR5AreRefused()
    {
        var lookup = HelperPrototypes.Get(LinuxHelper.MapLookupElem);
        Assert.Multiple(() =>
        {
            Assert.That(lookup.Argument(3), Is.EqualTo(DontCare));
            Assert.That(lookup.Argument(5), Is.EqualTo(DontCare));
            Assert.Throws<ArgumentOutOfRangeException>(() => lookup.Argument(0));
            Assert.Throws<ArgumentOutOfRangeException>(() => lookup.Argument(6));
        });
    }

    [Test]
    public void ArgumentFlagsComeApart()
    {
        Assert.Multiple(() =>
        {
            Assert.That((Memory | MaybeNull).Kind(), Is.EqualTo(Memory));
            Assert.That((Memory | MaybeNull).IsNullable(), Is.True);
            Assert.That(Memory.IsNullable(), Is.False);
            Assert.That(CallbackContext.IsNullable(), Is.True, "ARG_PTR_TO_STACK_OR_NULL");
            Assert.That(UninitMemory.IsWritten() && UninitMemory.MayBeUninitialized(), Is.True);
            Assert.That(WritableMemory.IsWritten() && !WritableMemory.MayBeUninitialized(), Is.True);
            Assert.That(Memory.IsWritten(), Is.False);
            Assert.That(UninitMapValue.IsWritten() && UninitMapValue.MayBeUninitialized(), Is.True);
            Assert.That((Memory | MaybeNull).KernelName(), Is.EqualTo("ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY"));
            Assert.That(UninitMemory.KernelName(), Is.EqualTo("ARG_PTR_TO_UNINIT_MEM"));
        });
    }

    [Test]
    public void CallbacksGetTheKernelsArgumentsAndMayReturnZeroOrOne()
    {
        var forEach = HelperPrototypes.Get(LinuxHelper.ForEachMapElem);
        var loop = HelperPrototypes.Get(LinuxHelper.Loop);
        Assert.Multiple(() =>
        {
            // verifier.c, set_map_elem_callback_state: r1 map, r2 key, r3 value, r4 the callback context.
            Assert.That(forEach.CallbackArguments, Is.EqualTo(new[] { CallbackArgument.Map, CallbackArgument.MapKey, CallbackArgument.MapValue, CallbackArgument.CallbackContext }));
            // set_loop_callback_state: r1 the index (scalar), r2 the callback context.
            Assert.That(loop.CallbackArguments, Is.EqualTo(new[] { CallbackArgument.Scalar, CallbackArgument.CallbackContext }));
            Assert.That(forEach.CallbackReturnRange, Is.EqualTo(new ReturnRange(0, 1)));
            Assert.That(loop.CallbackReturnRange, Is.EqualTo(new ReturnRange(0, 1)));
            Assert.That(HelperPrototypes.Get(LinuxHelper.MapLookupElem).CallbackReturnRange, Is.Null);
        });
    }

    [Test]
    public void IteratorKfuncsCarryTheKernelsIteratorFlags()
    {
        var create = KfuncPrototypes.Find("bpf_iter_num_new")!;
        var next = KfuncPrototypes.Find("bpf_iter_num_next")!;
        var destroy = KfuncPrototypes.Find("bpf_iter_num_destroy")!;
        Assert.Multiple(() =>
        {
            // kernel/bpf/helpers.c: BTF_ID_FLAGS(func, bpf_iter_num_new, KF_ITER_NEW),
            // (bpf_iter_num_next, KF_ITER_NEXT | KF_RET_NULL), (bpf_iter_num_destroy, KF_ITER_DESTROY)
            Assert.That(create.KfuncFlags, Is.EqualTo(KfuncFlags.IteratorNew));
            Assert.That(next.KfuncFlags, Is.EqualTo(KfuncFlags.IteratorNext | KfuncFlags.ReturnsNull));
            Assert.That(destroy.KfuncFlags, Is.EqualTo(KfuncFlags.IteratorDestroy));
            Assert.That(create.Arguments, Is.EqualTo(new[] { IteratorState, HelperArgument.Scalar, HelperArgument.Scalar }));
            Assert.That(create.Return, Is.EqualTo(HelperReturn.Integer));
            Assert.That(next.Arguments, Is.EqualTo(new[] { IteratorState }));
            Assert.That(next.Return, Is.EqualTo(HelperReturn.ReadOnlyMemoryOrNull));
            Assert.That(next.ReturnSize, Is.EqualTo(4), "int *");
            Assert.That(destroy.Return, Is.EqualTo(HelperReturn.Void));
        });
    }

    [Test]
    public void ArenaKfuncsTakeAnArenaAndAreSleepable()
    {
        var alloc = KfuncPrototypes.Find("bpf_arena_alloc_pages")!;
        var free = KfuncPrototypes.Find("bpf_arena_free_pages")!;
        Assert.Multiple(() =>
        {
            // kernel/bpf/arena.c: BTF_ID_FLAGS(func, bpf_arena_alloc_pages, KF_TRUSTED_ARGS | KF_SLEEPABLE | KF_ARENA_RET | KF_ARENA_ARG2);
            // the running kernel refuses the call from XDP: "program must be sleepable to call sleepable kfunc bpf_arena_alloc_pages".
            Assert.That(alloc.KfuncFlags, Is.EqualTo(KfuncFlags.TrustedArguments | KfuncFlags.Sleepable | KfuncFlags.ArenaReturn | KfuncFlags.ArenaArgument2));
            Assert.That(free.KfuncFlags, Is.EqualTo(KfuncFlags.TrustedArguments | KfuncFlags.Sleepable | KfuncFlags.ArenaArgument2));
            Assert.That(alloc.Return, Is.EqualTo(HelperReturn.ArenaPointer));
            Assert.That(alloc.Arguments, Is.EqualTo(new[] { HelperArgument.ArenaMap, Anything, HelperArgument.Scalar, HelperArgument.Scalar, HelperArgument.Scalar }));
            Assert.That(free.Arguments, Is.EqualTo(new[] { HelperArgument.ArenaMap, Anything, HelperArgument.Scalar }));
            Assert.That(MapHelperCompatibility.IsCompatible(alloc, BpfMapType.Arena), Is.True);
            Assert.That(MapHelperCompatibility.IsCompatible(alloc, BpfMapType.Array), Is.False);
        });
    }

    [Test]
    public void MemoryKfuncsPairBothPointersWithTheirCount()
    {
        var memcpy = KfuncPrototypes.Find("memcpy")!;
        var memset = KfuncPrototypes.Find("memset")!;
        var memcmp = KfuncPrototypes.Find("memcmp")!;
        Assert.Multiple(() =>
        {
            Assert.That(memcpy.SizeArgumentOf(1), Is.EqualTo(3));
            Assert.That(memcpy.SizeArgumentOf(2), Is.EqualTo(3));
            Assert.That(memcpy.Argument(1).IsWritten(), Is.True, "the destination");
            Assert.That(memcpy.Argument(2).IsWritten(), Is.False, "the source");
            Assert.That(memcpy.Return, Is.EqualTo(HelperReturn.FirstArgument));
            Assert.That(memset.SizeArgumentOf(1), Is.EqualTo(3));
            Assert.That(memset.SizeArgumentOf(2), Is.Zero, "the fill byte is a scalar");
            Assert.That(memcmp.Return, Is.EqualTo(HelperReturn.Integer));
            Assert.That(memcmp.Argument(1).IsWritten() || memcmp.Argument(2).IsWritten(), Is.False);
        });
    }

    // What the running kernel (6.18) answered for an XDP program passing a map of each type: the
    // maps it accepted past check_map_func_compatibility ("cannot pass map_type N into func ...",
    // "expected prog array map for tail call"), among maps with non-zero key and value sizes.
    [TestCase(LinuxHelper.MapLookupElem, new[] { BpfMapType.Hash, BpfMapType.Array, BpfMapType.PercpuHash, BpfMapType.PercpuArray, BpfMapType.LruHash, BpfMapType.LruPercpuHash, BpfMapType.LpmTrie, BpfMapType.ArrayOfMaps, BpfMapType.HashOfMaps })]
    [TestCase(LinuxHelper.MapUpdateElem, new[] { BpfMapType.Hash, BpfMapType.Array, BpfMapType.PercpuHash, BpfMapType.PercpuArray, BpfMapType.LruHash, BpfMapType.LruPercpuHash, BpfMapType.LpmTrie })]
    [TestCase(LinuxHelper.MapDeleteElem, new[] { BpfMapType.Hash, BpfMapType.Array, BpfMapType.PercpuHash, BpfMapType.PercpuArray, BpfMapType.LruHash, BpfMapType.LruPercpuHash, BpfMapType.LpmTrie })]
    [TestCase(LinuxHelper.MapLookupPercpuElem, new[] { BpfMapType.PercpuHash, BpfMapType.PercpuArray, BpfMapType.LruPercpuHash })]
    [TestCase(LinuxHelper.TailCall, new[] { BpfMapType.ProgArray })]
    [TestCase(LinuxHelper.PerfEventOutput, new[] { BpfMapType.PerfEventArray })]
    public void MapArgumentsAcceptTheMapTypesTheKernelAccepts(LinuxHelper helper, BpfMapType[] expected)
    {
        BpfMapType[] keyed =
        [
            BpfMapType.Hash, BpfMapType.Array, BpfMapType.ProgArray, BpfMapType.PerfEventArray, BpfMapType.PercpuHash,
            BpfMapType.PercpuArray, BpfMapType.LruHash, BpfMapType.LruPercpuHash, BpfMapType.LpmTrie, BpfMapType.ArrayOfMaps,
            BpfMapType.HashOfMaps,
        ];
        var prototype = HelperPrototypes.Get(helper);
        Assert.That(keyed.Where(type => MapHelperCompatibility.IsCompatible(prototype, type)), Is.EquivalentTo(expected));
    }

    // The same probe for the maps without keys: the kernel accepted only these pairs.
    [TestCase(LinuxHelper.MapPushElem, new[] { BpfMapType.Queue, BpfMapType.Stack, BpfMapType.BloomFilter })]
    [TestCase(LinuxHelper.MapPopElem, new[] { BpfMapType.Queue, BpfMapType.Stack })]
    [TestCase(LinuxHelper.MapPeekElem, new[] { BpfMapType.Queue, BpfMapType.Stack, BpfMapType.BloomFilter })]
    [TestCase(LinuxHelper.RingbufOutput, new[] { BpfMapType.Ringbuf })]
    [TestCase(LinuxHelper.RingbufReserve, new[] { BpfMapType.Ringbuf })]
    [TestCase(LinuxHelper.RingbufQuery, new[] { BpfMapType.Ringbuf })]
    [TestCase(LinuxHelper.MapLookupElem, new BpfMapType[0])]
    public void KeylessMapsServeOnlyTheirOwnHelpers(LinuxHelper helper, BpfMapType[] expected)
    {
        BpfMapType[] keyless = [BpfMapType.Queue, BpfMapType.Stack, BpfMapType.BloomFilter, BpfMapType.Ringbuf];
        var prototype = HelperPrototypes.Get(helper);
        Assert.That(keyless.Where(type => MapHelperCompatibility.IsCompatible(prototype, type)), Is.EquivalentTo(expected));
    }

    [Test]
    public void ForEachTakesOnlyMapsThatCanBeWalked()
    {
        // The maps whose ops set map_for_each_callback: array, per-CPU array, hash, per-CPU hash and their LRU forms.
        var forEach = HelperPrototypes.Get(LinuxHelper.ForEachMapElem);
        Assert.Multiple(() =>
        {
            Assert.That(MapHelperCompatibility.IsCompatible(forEach, BpfMapType.Hash), Is.True);
            Assert.That(MapHelperCompatibility.IsCompatible(forEach, BpfMapType.LruPercpuHash), Is.True);
            Assert.That(MapHelperCompatibility.IsCompatible(forEach, BpfMapType.LpmTrie), Is.False);
            Assert.That(MapHelperCompatibility.IsCompatible(forEach, BpfMapType.Ringbuf), Is.False);
            Assert.That(MapHelperCompatibility.HelpersAllowedFor(BpfMapType.ProgArray), Is.EqualTo(new[] { LinuxHelper.TailCall }));
            Assert.That(MapHelperCompatibility.HelpersAllowedFor(BpfMapType.Hash), Is.Null);
        });
    }
}
