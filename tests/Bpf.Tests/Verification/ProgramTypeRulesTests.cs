using Bpf.Isa;
using Bpf.Runtime;
using Bpf.Runtime.Contexts;
using Bpf.Verification;

namespace Bpf.Tests.Verification;

/// <summary>
/// The per-program-type rules: helpers allowed, return ranges, packet access and context access.
/// Expected values are the kernel's (written from its sources and from what Linux 6.18 answered on
/// this machine); where the kernel can be asked (root on Linux x86-64), the live tests ask it again
/// for every case and require the tables to agree.
/// </summary>
public sealed class ProgramTypeRulesTests
{
    // bpf_base_func_proto as every type sees it with CAP_BPF and CAP_PERFMON.
    private static readonly int[] Base =
    [
        1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 35, 42, 87, 88, 89, 93, 94, 105, 106, 112, 113, 114, 115, 118, 125,
        130, 131, 132, 133, 134, 164, 165, 177, 181, 182, 195, 208,
    ];

    private static readonly BpfProgramKind[] ModeledKinds =
    [
        BpfProgramKind.SocketFilter, BpfProgramKind.Kprobe, BpfProgramKind.SchedCls, BpfProgramKind.SchedAct,
        BpfProgramKind.Tracepoint, BpfProgramKind.Xdp, BpfProgramKind.PerfEvent, BpfProgramKind.CgroupSkb,
        BpfProgramKind.CgroupSock, BpfProgramKind.LwtIn, BpfProgramKind.LwtOut, BpfProgramKind.LwtXmit, BpfProgramKind.SockOps,
        BpfProgramKind.SkSkb, BpfProgramKind.CgroupDevice, BpfProgramKind.SkMsg, BpfProgramKind.RawTracepoint,
        BpfProgramKind.LwtSeg6Local, BpfProgramKind.SkReuseport, BpfProgramKind.FlowDissector, BpfProgramKind.CgroupSysctl,
        BpfProgramKind.RawTracepointWritable,
    ];

    // ---- helpers ----

    // The extra helpers each type's get_func_proto adds to the base set: xdp_func_proto adds csum_diff
    // and the adjust helpers; tc_cls_act_func_proto csum_diff; the tracing protos probe_read(_str);
    // the networking ones their perf_event_output and ktime_get_coarse_ns.
    [TestCase(BpfProgramKind.Xdp, new[] { 25, 28, 44, 54, 65, 160 })]
    [TestCase(BpfProgramKind.SchedCls, new[] { 25, 28, 160 })]
    [TestCase(BpfProgramKind.SchedAct, new[] { 25, 28, 160 })]
    [TestCase(BpfProgramKind.SocketFilter, new[] { 25, 160 })]
    [TestCase(BpfProgramKind.CgroupSkb, new[] { 25, 160 })]
    [TestCase(BpfProgramKind.Kprobe, new[] { 4, 25, 45 })]
    [TestCase(BpfProgramKind.Tracepoint, new[] { 4, 25, 45 })]
    [TestCase(BpfProgramKind.PerfEvent, new[] { 4, 25, 45 })]
    [TestCase(BpfProgramKind.RawTracepoint, new[] { 4, 25, 45 })]
    [TestCase(BpfProgramKind.CgroupDevice, new[] { 25 })]
    [TestCase(BpfProgramKind.FlowDissector, new[] { 160 })]
    [TestCase(BpfProgramKind.LwtXmit, new[] { 25, 28, 160 })]
    [TestCase(BpfProgramKind.Lsm, new int[0])]
    public void TypesAllowTheBaseHelpersAndTheirOwn(BpfProgramKind kind, int[] extra)
    {
        var rules = ProgramTypeRules.For(kind);
        Assert.That(HelperPrototypes.All.Select(p => p.Id).Where(id => rules.IsHelperAllowed(id)), Is.EquivalentTo(Base.Concat(extra)));
    }

    [Test]
    public void RawProgramsMayCallEveryHelper()
    {
        var rules = ProgramTypeRules.For(ProgramType.RawMemory);
        Assert.Multiple(() =>
        {
            Assert.That(rules.AllowsEveryHelper, Is.True);
            Assert.That(rules.IsHelperAllowed((int)LinuxHelper.XdpAdjustHead), Is.True);
            Assert.That(rules.IsHelperAllowed((int)LinuxHelper.ProbeRead), Is.True);
            Assert.That(rules.IsHelperAllowed(-1), Is.False);
            Assert.That(rules.AllowedHelpers, Is.EquivalentTo(HelperPrototypes.All.Select(p => p.Id)));
            Assert.That(rules.Context, Is.Null, "r1 of a raw program is memory, not a context");
            Assert.That(rules.ReturnRange, Is.Null);
        });
    }

    [Test]
    public void XdpCannotUseTracingHelpersAndSocketFiltersCannotAdjustPackets()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ProgramTypeRules.For(BpfProgramKind.Xdp).IsHelperAllowed((int)LinuxHelper.ProbeRead), Is.False);
            Assert.That(ProgramTypeRules.For(BpfProgramKind.SocketFilter).IsHelperAllowed((int)LinuxHelper.XdpAdjustHead), Is.False);
            Assert.That(ProgramTypeRules.For(BpfProgramKind.SocketFilter).IsHelperAllowed((int)LinuxHelper.CsumDiff), Is.False);
            Assert.That(ProgramTypeRules.For(BpfProgramKind.Kprobe).IsHelperAllowed((int)LinuxHelper.KtimeGetCoarseNs), Is.False, "not NMI-safe");
            Assert.That(ProgramTypeRules.For(BpfProgramKind.Xdp).IsHelperAllowed(9999), Is.False);
        });
    }

    [Test]
    public void SleepableKfuncsAreRefusedOutsideRawPrograms()
    {
        var arena = KfuncPrototypes.Find("bpf_arena_alloc_pages")!;
        var iterator = KfuncPrototypes.Find("bpf_iter_num_next")!;
        Assert.Multiple(() =>
        {
            Assert.That(ProgramTypeRules.For(BpfProgramKind.Xdp).IsKfuncAllowed(iterator), Is.True);
            Assert.That(ProgramTypeRules.For(BpfProgramKind.Xdp).IsKfuncAllowed(arena), Is.False, "program must be sleepable to call sleepable kfunc");
            Assert.That(ProgramTypeRules.For(BpfProgramKind.Unspec).IsKfuncAllowed(arena), Is.True);
            Assert.That(ProgramTypeRules.For(BpfProgramKind.Xdp).IsKfuncAllowed(HelperPrototypes.Get(LinuxHelper.MapLookupElem)), Is.False, "a helper is not a kfunc");
        });
    }

    [Test]
    public void HelperAvailabilityAgreesWithTheKernel()
    {
        RequireKernel();
        var mismatches = new List<string>();
        foreach (var kind in ModeledKinds)
        {
            var rules = ProgramTypeRules.For(kind);
            foreach (var helper in HelperPrototypes.All)
            {
                var (accepted, log) = KernelVerifier.Load(kind, [Call(helper.Id), new Instruction(0xb7), new Instruction(0x95)]);
                bool kernelAllows = accepted || !(log.Contains("cannot use helper", StringComparison.Ordinal) || log.Contains("unknown func", StringComparison.Ordinal));
                if (kernelAllows != rules.IsHelperAllowed(helper.Id))
                    mismatches.Add($"{kind} {helper.Name}: kernel {(kernelAllows ? "allows" : "refuses")}");
            }
        }

        Assert.That(mismatches, Is.Empty);
    }

    [Test]
    public void GplOnlyHelpersAgreeWithTheKernel()
    {
        RequireKernel();
        var mismatches = new List<string>();
        foreach (var helper in HelperPrototypes.All)
        {
            var kind = ProgramTypeRules.For(BpfProgramKind.Xdp).IsHelperAllowed(helper.Id) ? BpfProgramKind.Xdp : BpfProgramKind.Kprobe;
            var (_, log) = KernelVerifier.Load(kind, [Call(helper.Id), new Instruction(0xb7), new Instruction(0x95)], license: "Proprietary");
            bool kernelGpl = log.Contains("GPL-restricted", StringComparison.Ordinal);
            if (kernelGpl != helper.GplOnly)
                mismatches.Add($"{helper.Name}: kernel says gpl_only = {kernelGpl}");
        }

        Assert.That(mismatches, Is.Empty);
    }

    // ---- return values ----

    [TestCase(BpfProgramKind.Xdp, null, null)]
    [TestCase(BpfProgramKind.SocketFilter, null, null)]
    [TestCase(BpfProgramKind.SchedCls, null, null)]
    [TestCase(BpfProgramKind.Kprobe, null, null)]
    [TestCase(BpfProgramKind.Tracepoint, null, null)]
    [TestCase(BpfProgramKind.RawTracepoint, null, null)]
    [TestCase(BpfProgramKind.CgroupSkb, 0L, 1L)]
    [TestCase(BpfProgramKind.CgroupSock, 0L, 1L)]
    [TestCase(BpfProgramKind.CgroupDevice, 0L, 1L)]
    [TestCase(BpfProgramKind.SockOps, 0L, 1L)]
    [TestCase(BpfProgramKind.CgroupSysctl, 0L, 1L)]
    [TestCase(BpfProgramKind.SkLookup, 0L, 1L)]
    public void ReturnRangesAreTheKernels(BpfProgramKind kind, long? minimum, long? maximum)
    {
        // verifier.c, check_return_code: the default range [0, 1] applies to the cgroup types, sk_lookup
        // and netfilter; the networking and tracing types here return without a check.
        var expected = minimum is null ? (ReturnRange?)null : new ReturnRange(minimum.Value, maximum!.Value);
        Assert.That(ProgramTypeRules.For(kind).ReturnRange, Is.EqualTo(expected));
    }

    [TestCase("cgroup_skb/egress", 0L, 3L)]
    [TestCase("cgroup_skb/ingress", 0L, 1L)]
    [TestCase("cgroup/recvmsg4", 1L, 1L)]
    [TestCase("cgroup/getsockname6", 1L, 1L)]
    [TestCase("cgroup/bind4", 0L, 3L)]
    [TestCase("cgroup/connect4", 0L, 1L)]
    [TestCase("fentry/do_unlinkat", 0L, 0L)]
    [TestCase("iter/task", 0L, 1L)]
    public void SectionsNarrowTheReturnRangeByAttachType(string section, long minimum, long maximum)
    {
        Assert.That(ProgramTypeRules.ForSection(section).ReturnRange, Is.EqualTo(new ReturnRange(minimum, maximum)));
    }

    [Test]
    public void ReturnRangesAgreeWithTheKernel()
    {
        RequireKernel();
        long[] values = [0, 1, 2, 3, 4, 255, -1, int.MaxValue];
        var cases = ModeledKinds.Select(kind => (Kind: kind, Attach: 0u, Rules: ProgramTypeRules.For(kind)))
            .Append((BpfProgramKind.CgroupSkb, 1u, ProgramTypeRules.ForSection("cgroup_skb/egress"))); // BPF_CGROUP_INET_EGRESS
        var mismatches = new List<string>();
        foreach (var (kind, attach, rules) in cases)
        {
            foreach (long value in values)
            {
                var (accepted, log) = KernelVerifier.Load(kind, [new Instruction(0xb7, immediate: (int)value), new Instruction(0x95)], attach);
                bool expected = rules.ReturnRange?.Contains(value) ?? true;
                if (accepted != expected)
                    mismatches.Add($"{kind} (attach {attach}) returning {value}: kernel {(accepted ? "accepts" : "refuses")} {log}");
            }
        }

        Assert.That(mismatches, Is.Empty);
    }

    // ---- packet access ----

    [TestCase(BpfProgramKind.Xdp, PacketAccess.ReadWrite)]
    [TestCase(BpfProgramKind.SchedCls, PacketAccess.ReadWrite)]
    [TestCase(BpfProgramKind.SchedAct, PacketAccess.ReadWrite)]
    [TestCase(BpfProgramKind.LwtXmit, PacketAccess.ReadWrite)]
    [TestCase(BpfProgramKind.CgroupSkb, PacketAccess.Read)]
    [TestCase(BpfProgramKind.LwtIn, PacketAccess.Read)]
    [TestCase(BpfProgramKind.LwtOut, PacketAccess.Read)]
    [TestCase(BpfProgramKind.SocketFilter, PacketAccess.None)]
    [TestCase(BpfProgramKind.Kprobe, PacketAccess.None)]
    public void PacketAccessIsTheKernels(BpfProgramKind kind, PacketAccess expected)
    {
        // verifier.c, may_access_direct_pkt_data
        Assert.That(ProgramTypeRules.For(kind).PacketAccess, Is.EqualTo(expected));
    }

    [TestCase(BpfProgramKind.Xdp, 0, 4)]
    [TestCase(BpfProgramKind.SchedCls, 76, 80)]
    [TestCase(BpfProgramKind.SchedAct, 76, 80)]
    [TestCase(BpfProgramKind.CgroupSkb, 76, 80)]
    [TestCase(BpfProgramKind.LwtIn, 76, 80)]
    [TestCase(BpfProgramKind.LwtOut, 76, 80)]
    [TestCase(BpfProgramKind.LwtXmit, 76, 80)]
    [TestCase(BpfProgramKind.SocketFilter, 76, 80)]
    public void PacketAccessAgreesWithTheKernel(BpfProgramKind kind, int dataOffset, int dataEndOffset)
    {
        RequireKernel();
        // r2 = data; r3 = data_end; if data + 1 > data_end skip; then one load or one store of a byte.
        Instruction[] Program(Instruction access) =>
        [
            new(0x61, 2, 1, (short)dataOffset), new(0x61, 3, 1, (short)dataEndOffset), new(0xbf, 4, 2), new(0x07, 4, immediate: 1),
            new(0x2d, 4, 3, 1), access, new(0xb7), new(0x95),
        ];
        bool read = KernelVerifier.Load(kind, Program(new Instruction(0x71, 0, 2))).Accepted;
        bool write = KernelVerifier.Load(kind, Program(new Instruction(0x72, 2, immediate: 7))).Accepted;
        var kernel = write ? PacketAccess.ReadWrite : read ? PacketAccess.Read : PacketAccess.None;
        Assert.That(ProgramTypeRules.For(kind).PacketAccess, Is.EqualTo(kernel));
    }

    // ---- context access ----

    [Test]
    public void XdpContextIsFourByteReadOnlyLoadsWithPacketPointers()
    {
        var xdp = ProgramTypeRules.For(BpfProgramKind.Xdp).Context!;
        Assert.Multiple(() =>
        {
            Assert.That(xdp.Name, Is.EqualTo("xdp_md"));
            Assert.That(xdp.Check(0, 4, ContextAccessKind.Load), Is.EqualTo(ContextAccessVerdict.Allow(xdp.Field("data")!, ContextValue.PacketStart)));
            Assert.That(xdp.Check(4, 4, ContextAccessKind.Load).Value, Is.EqualTo(ContextValue.PacketEnd));
            Assert.That(xdp.Check(8, 4, ContextAccessKind.Load).Value, Is.EqualTo(ContextValue.PacketMeta));
            Assert.That(xdp.Check(12, 4, ContextAccessKind.Load).Value, Is.EqualTo(ContextValue.Scalar));
            Assert.That(xdp.Check(0, 8, ContextAccessKind.Load).Allowed, Is.False, "no 8-byte loads of data");
            Assert.That(xdp.Check(12, 2, ContextAccessKind.Load).Allowed, Is.False, "no narrow loads in xdp_md");
            Assert.That(xdp.Check(2, 2, ContextAccessKind.Load).Allowed, Is.False);
            Assert.That(xdp.Check(0, 4, ContextAccessKind.SignExtendingLoad).Allowed, Is.False, "packet pointers are not sign-extended");
            Assert.That(xdp.Check(12, 4, ContextAccessKind.SignExtendingLoad).Allowed, Is.True);
            Assert.That(xdp.Check(12, 4, ContextAccessKind.Store).Allowed, Is.False, "xdp_md is read-only");
            Assert.That(xdp.Check(20, 4, ContextAccessKind.Load).Allowed, Is.False, "egress_ifindex is for devmap programs");
            Assert.That(xdp.Check(24, 4, ContextAccessKind.Load).Reason, Is.EqualTo("invalid bpf_context access off=24 size=4"));
            Assert.That(xdp.Check(-4, 4, ContextAccessKind.Load).Allowed, Is.False);
            Assert.That(xdp.Check(13, 3, ContextAccessKind.Load).Allowed, Is.False);
        });
    }

    [Test]
    public void DevmapXdpProgramsMayReadEgressIfindex()
    {
        var rules = ProgramTypeRules.ForSection("xdp/devmap");
        Assert.Multiple(() =>
        {
            Assert.That(rules.Kind, Is.EqualTo(BpfProgramKind.Xdp));
            Assert.That(rules.Context!.Check(20, 4, ContextAccessKind.Load).Allowed, Is.True);
            Assert.That(ProgramTypeRules.ForSection("xdp").Context!.Check(20, 4, ContextAccessKind.Load).Allowed, Is.False);
            Assert.That(rules.IsHelperAllowed((int)LinuxHelper.XdpAdjustTail), Is.True);
        });
    }

    [Test]
    public void SocketFiltersReadNarrowlyAndWriteOnlyCb()
    {
        var skb = ProgramTypeRules.For(BpfProgramKind.SocketFilter).Context!;
        Assert.Multiple(() =>
        {
            Assert.That(skb.Name, Is.EqualTo("__sk_buff"));
            Assert.That(skb.Check(0, 4, ContextAccessKind.Load).Allowed, Is.True, "len");
            Assert.That(skb.Check(1, 1, ContextAccessKind.Load).Allowed, Is.True, "a byte of len");
            Assert.That(skb.Check(2, 2, ContextAccessKind.Load).Allowed, Is.True, "the upper half of len");
            Assert.That(skb.Check(1, 2, ContextAccessKind.Load).Allowed, Is.False, "misaligned");
            Assert.That(skb.Check(0, 8, ContextAccessKind.Load).Allowed, Is.False, "wider than len");
            Assert.That(skb.Check(8, 4, ContextAccessKind.Store).Allowed, Is.False, "mark is read-only here");
            Assert.That(skb.Check(48, 1, ContextAccessKind.Store).Allowed, Is.True, "cb[0], narrow store");
            Assert.That(skb.Check(56, 8, ContextAccessKind.Store).Allowed, Is.True, "cb[2..3] as one 8-byte store");
            Assert.That(skb.Check(64, 8, ContextAccessKind.Load).Allowed, Is.False, "past cb[4]");
            Assert.That(skb.Check(76, 4, ContextAccessKind.Load).Allowed, Is.False, "no data pointer for socket filters");
            Assert.That(skb.Check(72, 4, ContextAccessKind.Load).Allowed, Is.False, "tc_classid");
            Assert.That(skb.Check(92, 4, ContextAccessKind.Load).Allowed, Is.False, "remote_ip4");
            Assert.That(skb.Check(152, 8, ContextAccessKind.Load).Allowed, Is.False, "tstamp");
            Assert.That(skb.Check(168, 8, ContextAccessKind.Load).Value, Is.EqualTo(ContextValue.SocketOrNull));
            Assert.That(skb.Check(168, 4, ContextAccessKind.Load).Allowed, Is.False, "sk is 8 bytes");
            Assert.That(skb.Check(176, 2, ContextAccessKind.Load).Allowed, Is.True, "gso_size, narrow");
            Assert.That(skb.Check(48, 4, ContextAccessKind.Atomic).Allowed, Is.False);
        });
    }

    [Test]
    public void TcProgramsWriteTheirFieldsByWordsAndGetPacketPointers()
    {
        var skb = ProgramTypeRules.For(BpfProgramKind.SchedCls).Context!;
        Assert.Multiple(() =>
        {
            Assert.That(skb.Check(8, 4, ContextAccessKind.Store).Allowed, Is.True, "mark");
            Assert.That(skb.Check(8, 2, ContextAccessKind.Store).Allowed, Is.False, "narrow stores only into cb");
            Assert.That(skb.Check(8, 1, ContextAccessKind.Load).Allowed, Is.True, "narrow loads are fine");
            Assert.That(skb.Check(12, 4, ContextAccessKind.Store).Allowed, Is.True, "queue_mapping");
            Assert.That(skb.Check(72, 4, ContextAccessKind.Store).Allowed, Is.True, "tc_classid");
            Assert.That(skb.Check(4, 4, ContextAccessKind.Store).Allowed, Is.False, "pkt_type");
            Assert.That(skb.Check(76, 4, ContextAccessKind.Load).Value, Is.EqualTo(ContextValue.PacketStart));
            Assert.That(skb.Check(80, 4, ContextAccessKind.Load).Value, Is.EqualTo(ContextValue.PacketEnd));
            Assert.That(skb.Check(140, 4, ContextAccessKind.Load).Value, Is.EqualTo(ContextValue.PacketMeta));
            Assert.That(skb.Check(76, 2, ContextAccessKind.Load).Allowed, Is.False);
            Assert.That(skb.Check(76, 4, ContextAccessKind.Store).Allowed, Is.False);
            Assert.That(skb.Check(88, 4, ContextAccessKind.Load).Allowed, Is.False, "family");
            Assert.That(skb.Check(152, 8, ContextAccessKind.Store).Allowed, Is.True, "tstamp");
            Assert.That(skb.Check(152, 4, ContextAccessKind.Load).Allowed, Is.False, "tstamp is 8 bytes");
            Assert.That(skb.Check(180, 1, ContextAccessKind.Load).Allowed, Is.True, "tstamp_type");
            Assert.That(skb.Check(181, 1, ContextAccessKind.Load).Allowed, Is.False, "padding");
            Assert.That(skb.Check(184, 8, ContextAccessKind.Load).Allowed, Is.True, "hwtstamp");
            Assert.That(ProgramTypeRules.For(BpfProgramKind.SchedAct).Context, Is.SameAs(skb));
        });
    }

    [Test]
    public void CgroupSkbProgramsSeeSocketAddressesAndAReadOnlyPacket()
    {
        var skb = ProgramTypeRules.For(BpfProgramKind.CgroupSkb).Context!;
        Assert.Multiple(() =>
        {
            Assert.That(skb.Check(76, 4, ContextAccessKind.Load).Value, Is.EqualTo(ContextValue.PacketStart));
            Assert.That(skb.Check(140, 4, ContextAccessKind.Load).Allowed, Is.False, "data_meta");
            Assert.That(skb.Check(88, 2, ContextAccessKind.Load).Allowed, Is.True, "family, narrow");
            Assert.That(skb.Check(92, 4, ContextAccessKind.Load).Allowed, Is.True, "remote_ip4");
            Assert.That(skb.Check(92, 2, ContextAccessKind.Load).Allowed, Is.False, "addresses are read whole");
            Assert.That(skb.Check(104, 4, ContextAccessKind.Load).Allowed, Is.True, "remote_ip6[1]");
            Assert.That(skb.Check(8, 4, ContextAccessKind.Store).Allowed, Is.True, "mark");
            Assert.That(skb.Check(32, 4, ContextAccessKind.Store).Allowed, Is.True, "priority");
            Assert.That(skb.Check(12, 4, ContextAccessKind.Store).Allowed, Is.False, "queue_mapping");
            Assert.That(skb.Check(44, 4, ContextAccessKind.Store).Allowed, Is.False, "tc_index");
            Assert.That(skb.Check(160, 4, ContextAccessKind.Load).Allowed, Is.False, "wire_len");
        });
    }

    [Test]
    public void TracingContextsAreReadOnly()
    {
        var kprobe = ProgramTypeRules.For(BpfProgramKind.Kprobe).Context!;
        var tracepoint = ProgramTypeRules.For(BpfProgramKind.Tracepoint).Context!;
        var perf = ProgramTypeRules.For(BpfProgramKind.PerfEvent).Context!;
        var raw = ProgramTypeRules.For(BpfProgramKind.RawTracepoint).Context!;
        Assert.Multiple(() =>
        {
            Assert.That(kprobe.Check(160, 8, ContextAccessKind.Load).Allowed, Is.True);
            Assert.That(kprobe.Check(162, 2, ContextAccessKind.Load).Allowed, Is.True);
            Assert.That(kprobe.Check(168, 8, ContextAccessKind.Load).Allowed, Is.False, "past pt_regs");
            Assert.That(kprobe.Check(0, 8, ContextAccessKind.Store).Allowed, Is.False);
            Assert.That(tracepoint.Check(0, 8, ContextAccessKind.Load).Allowed, Is.False, "the common header");
            Assert.That(tracepoint.Check(8, 8, ContextAccessKind.Load).Allowed, Is.True);
            Assert.That(tracepoint.Check(8188, 4, ContextAccessKind.Load).Allowed, Is.True);
            Assert.That(tracepoint.Check(8192, 1, ContextAccessKind.Load).Allowed, Is.False);
            Assert.That(perf.Check(8, 4, ContextAccessKind.Load).Allowed, Is.False, "registers by 8 bytes");
            Assert.That(perf.Check(168, 4, ContextAccessKind.Load).Allowed, Is.True, "sample_period, narrow");
            Assert.That(raw.Check(88, 8, ContextAccessKind.Load).Allowed, Is.True, "args[11]");
            Assert.That(raw.Check(96, 8, ContextAccessKind.Load).Allowed, Is.False, "args[12]");
        });
    }

    [Test]
    public void ContextRulesUseTheRuntimeLayoutsOffsets()
    {
        // The rules name fields of the runtime's xdp_md and __sk_buff layouts at the same offsets and sizes.
        var pairs = new (ContextAccessRules Rules, ContextLayout Layout)[]
        {
            (ProgramTypeRules.ForSection("xdp/devmap").Context!, XdpContext.Layout),
            (ProgramTypeRules.For(BpfProgramKind.SocketFilter).Context!, SocketBufferContext.TcLayout),
            (ProgramTypeRules.For(BpfProgramKind.SchedCls).Context!, SocketBufferContext.TcLayout),
            (ProgramTypeRules.For(BpfProgramKind.CgroupSkb).Context!, SocketBufferContext.TcLayout),
        };
        Assert.Multiple(() =>
        {
            foreach (var (rules, layout) in pairs)
            {
                Assert.That(rules.Size, Is.EqualTo(layout.Size));
                foreach (var field in rules.Fields)
                {
                    Assert.That(layout[field.Name].Offset, Is.EqualTo(field.Offset), field.Name);
                    Assert.That(layout[field.Name].Size, Is.EqualTo(field.Size), field.Name);
                }
            }
        });
    }

    [Test]
    public void HostDefinedContextsFollowTheirLayout()
    {
        var type = ProgramType.Struct("counter", ContextLayout.Struct("counter_ctx", 16, (8, 8)));
        var rules = ProgramTypeRules.For(type);
        Assert.Multiple(() =>
        {
            Assert.That(rules.AllowsEveryHelper, Is.True);
            Assert.That(rules.Context!.Check(0, 8, ContextAccessKind.Load).Allowed, Is.True);
            Assert.That(rules.Context.Check(0, 4, ContextAccessKind.Store).Allowed, Is.False);
            Assert.That(rules.Context.Check(8, 8, ContextAccessKind.Store).Allowed, Is.True);
            Assert.That(rules.Context.Check(12, 8, ContextAccessKind.Load).Allowed, Is.False);
        });
    }

    [Test]
    public void OverlappingFieldRulesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new ContextAccessRules("bad", 16,
        [
            new ContextFieldRule("a", 0, 8, AccessWidths.Any),
            new ContextFieldRule("b", 4, 8, AccessWidths.Any),
        ]));
    }

    private static IEnumerable<TestCaseData> KernelContexts()
    {
        yield return new TestCaseData("xdp", BpfProgramKind.Xdp, 0u, Range(0, 32)).SetName("Context of xdp agrees with the kernel");
        yield return new TestCaseData("xdp/devmap", BpfProgramKind.Xdp, 33u, Range(0, 32)).SetName("Context of xdp/devmap agrees with the kernel"); // BPF_XDP_DEVMAP
        yield return new TestCaseData("socket", BpfProgramKind.SocketFilter, 0u, Range(0, 200)).SetName("Context of socket filters agrees with the kernel");
        yield return new TestCaseData("tc", BpfProgramKind.SchedCls, 0u, Range(0, 200)).SetName("Context of tc classifiers agrees with the kernel");
        yield return new TestCaseData("action", BpfProgramKind.SchedAct, 0u, Range(0, 200)).SetName("Context of tc actions agrees with the kernel");
        yield return new TestCaseData("cgroup_skb/ingress", BpfProgramKind.CgroupSkb, 0u, Range(0, 200)).SetName("Context of cgroup skb agrees with the kernel");
        yield return new TestCaseData("kprobe/x", BpfProgramKind.Kprobe, 0u, Range(0, 176)).SetName("Context of kprobes agrees with the kernel");
        yield return new TestCaseData("perf_event", BpfProgramKind.PerfEvent, 0u, Range(0, 192)).SetName("Context of perf events agrees with the kernel");
        yield return new TestCaseData("raw_tp/x", BpfProgramKind.RawTracepoint, 0u, Range(0, 104)).SetName("Context of raw tracepoints agrees with the kernel");
        yield return new TestCaseData("tp/x", BpfProgramKind.Tracepoint, 0u, new[] { 0, 4, 7, 8, 9, 10, 12, 16, 100, 8184, 8188, 8190, 8191, 8192, 8200 })
            .SetName("Context of tracepoints agrees with the kernel");
    }

    private static int[] Range(int start, int end) => Enumerable.Range(start, end - start).ToArray();

    [TestCaseSource(nameof(KernelContexts))]
    public void ContextAccessAgreesWithTheKernel(string section, BpfProgramKind kind, uint attach, int[] offsets)
    {
        RequireKernel();
        var rules = ProgramTypeRules.ForSection(section);
        Assert.That(rules.Kind, Is.EqualTo(kind));
        var mismatches = new List<string>();
        foreach (int offset in offsets)
        {
            foreach (int size in new[] { 1, 2, 4, 8 })
            {
                foreach (var access in new[] { ContextAccessKind.Load, ContextAccessKind.SignExtendingLoad, ContextAccessKind.Store })
                {
                    if (access == ContextAccessKind.SignExtendingLoad && size == 8)
                        continue; // there is no 8-byte sign-extending load
                    bool kernel = KernelVerifier.Load(kind, ContextProgram(access, offset, size), attach).Accepted;
                    bool ours = rules.Context!.Check(offset, size, access).Allowed;
                    if (kernel != ours)
                        mismatches.Add($"{access} off={offset} size={size}: kernel {(kernel ? "allows" : "refuses")}");
                }
            }
        }

        Assert.That(mismatches, Is.Empty);
    }

    private static Instruction[] ContextProgram(ContextAccessKind access, int offset, int size)
    {
        int sizeBits = size switch { 4 => 0x00, 2 => 0x08, 1 => 0x10, _ => 0x18 };
        var touch = access switch
        {
            ContextAccessKind.Load => new Instruction((byte)(0x61 | sizeBits), 2, 1, (short)offset), // ldx r2, [r1+off]
            ContextAccessKind.SignExtendingLoad => new Instruction((byte)(0x81 | sizeBits), 2, 1, (short)offset), // ldsx
            _ => new Instruction((byte)(0x63 | sizeBits), 1, 2, (short)offset), // stx [r1+off], r2
        };
        return [new Instruction(0xb7, 2), touch, new Instruction(0xb7), new Instruction(0x95)];
    }

    private static Instruction Call(int helper) => new(0x85, immediate: helper);

    private static void RequireKernel()
    {
        if (!KernelVerifier.IsAvailable(out string whyNot))
            Assert.Ignore(whyNot);
    }
}
