using Bpf.Isa;
using Bpf.Runtime;

namespace Bpf.Verification;

/// <summary>
/// What a program type allows, as the kernel's verifier ops for the type decide it: the helpers it
/// may call (<c>get_func_proto</c>), the values it may return (<c>check_return_code</c>), whether it
/// may touch packets directly (<c>may_access_direct_pkt_data</c>) and how it may access its context
/// (<c>is_valid_access</c>, <see cref="ContextAccessRules"/>). The tables are Linux 6.18's for a
/// privileged loader (root, or CAP_BPF with CAP_PERFMON), which is what this runtime compares with;
/// the helper lists were checked against the running kernel by loading a call of every built-in
/// helper in every program type.
/// </summary>
public sealed class ProgramTypeRules
{
    // bpf_base_func_proto in 6.18 as every type sees it: map operations, clocks, random, processor,
    // tail calls, ring buffers, strings, current pid/uid/comm, spin locks, jiffies, for_each/loop,
    // and (CAP_PERFMON) trace_printk/vprintk, snprintf, get_current_task and the user/kernel probe reads.
    private static readonly int[] s_base =
    [
        1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 35, 42, 87, 88, 89, 93, 94, 105, 106, 112, 113, 114, 115, 118, 125,
        130, 131, 132, 133, 134, 164, 165, 177, 181, 182, 195, 208,
    ];

    private static readonly int[] s_tracing = [(int)LinuxHelper.ProbeRead, (int)LinuxHelper.ProbeReadStr, (int)LinuxHelper.PerfEventOutput];
    private static readonly int[] s_socket = [(int)LinuxHelper.PerfEventOutput, (int)LinuxHelper.KtimeGetCoarseNs];
    private static readonly int[] s_checksum = [.. s_socket, (int)LinuxHelper.CsumDiff];
    private static readonly int[] s_xdp = [.. s_checksum, (int)LinuxHelper.XdpAdjustHead, (int)LinuxHelper.XdpAdjustMeta, (int)LinuxHelper.XdpAdjustTail];

    private static readonly Dictionary<BpfProgramKind, ProgramTypeRules> s_byKind = BuildAll().ToDictionary(r => r.Kind);

    private readonly HashSet<int>? _helpers;

    private ProgramTypeRules(BpfProgramKind kind, IEnumerable<int>? extraHelpers, ReturnRange? returnRange = null, PacketAccess packetAccess = PacketAccess.None, ContextAccessRules? context = null, bool allHelpers = false)
    {
        Kind = kind;
        _helpers = allHelpers ? null : [.. s_base, .. extraHelpers ?? []];
        ReturnRange = returnRange;
        PacketAccess = packetAccess;
        Context = context;
    }

    /// <summary>The kernel program type.</summary>
    public BpfProgramKind Kind { get; }

    /// <summary>The values r0 may hold at the program's exit, or null when any scalar is allowed.</summary>
    public ReturnRange? ReturnRange { get; private init; }

    /// <summary>Whether the program may load and store packet bytes through the context's packet pointers.</summary>
    public PacketAccess PacketAccess { get; }

    /// <summary>How the context may be accessed; null when r1 is not a context (raw memory) or the type's context is not modeled.</summary>
    public ContextAccessRules? Context { get; private init; }

    /// <summary>
    /// True if every helper the runtime has may be called (raw programs, which have no kernel type);
    /// false if only <see cref="AllowedHelpers"/>.
    /// </summary>
    public bool AllowsEveryHelper => _helpers is null;

    /// <summary>The built-in helpers the type may call, by number (every built-in helper when <see cref="AllowsEveryHelper"/>).</summary>
    public IReadOnlySet<int> AllowedHelpers => _helpers ?? HelperPrototypes.All.Select(p => p.Id).ToHashSet();

    /// <summary>
    /// True if the type may call helper <paramref name="id"/>. A program of another type that calls it
    /// is rejected, as the kernel does ("program of this type cannot use helper bpf_xdp_adjust_head#44").
    /// </summary>
    public bool IsHelperAllowed(long id) => _helpers is null ? id is >= 0 and <= int.MaxValue : id is >= 0 and <= int.MaxValue && _helpers.Contains((int)id);

    /// <summary>
    /// True if the type may call kfunc <paramref name="prototype"/>. Linux registers the iterator and
    /// arena kfuncs for every type, but only sleepable programs may call sleepable kfuncs ("program
    /// must be sleepable to call sleepable kfunc"). Of the types here only syscall programs are
    /// sleepable (<see cref="IsSleepable"/>); raw programs, which have no kernel type, may call them all.
    /// </summary>
    public bool IsKfuncAllowed(HelperPrototype prototype)
    {
        ArgumentNullException.ThrowIfNull(prototype);
        return prototype.IsKfunc && (AllowsEveryHelper || IsSleepable || (prototype.KfuncFlags & KfuncFlags.Sleepable) == 0);
    }

    /// <summary>
    /// True if programs of the type may sleep, so call sleepable kfuncs: syscall programs, which libbpf
    /// always loads with <c>BPF_F_SLEEPABLE</c>. (The <c>.s</c> sections of tracing and LSM programs are
    /// sleepable in Linux too; their types are not modeled here.)
    /// </summary>
    public bool IsSleepable => Kind == BpfProgramKind.Syscall;

    /// <summary>The rules of a kernel program type.</summary>
    public static ProgramTypeRules For(BpfProgramKind kind) =>
        s_byKind.TryGetValue(kind, out var rules) ? rules : new ProgramTypeRules(kind, null);

    /// <summary>
    /// The rules for <paramref name="type"/>: those of its kind, except that a raw or host-defined type
    /// (<see cref="BpfProgramKind.Unspec"/>) may call every helper and has the host's context layout.
    /// </summary>
    public static ProgramTypeRules For(ProgramType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.Kind == BpfProgramKind.Unspec && type.Context is { } layout)
            return new ProgramTypeRules(BpfProgramKind.Unspec, null, allHelpers: true) { Context = ContextAccessRules.FromLayout(layout) };
        return For(type.Kind);
    }

    /// <summary>
    /// The rules for a program in the object section <paramref name="sectionName"/>, which may say more
    /// than the kind (libbpf sets the expected attach type from it): <c>xdp/devmap</c> programs may
    /// read <c>egress_ifindex</c>, <c>cgroup_skb/egress</c> programs may return 0-3, <c>fentry</c> and
    /// <c>fexit</c> programs must return 0, and so on.
    /// </summary>
    public static ProgramTypeRules ForSection(string sectionName)
    {
        ArgumentNullException.ThrowIfNull(sectionName);
        var type = ProgramType.ForSection(sectionName);
        var rules = For(type);
        return type.Kind switch
        {
            BpfProgramKind.Xdp when sectionName is "xdp/devmap" or "xdp.frags/devmap" => new ProgramTypeRules(BpfProgramKind.Xdp, s_xdp, null, PacketAccess.ReadWrite, ContextAccessRules.Xdp(devmap: true)),
            BpfProgramKind.CgroupSkb when sectionName is "cgroup_skb/egress" => rules.WithReturnRange(new ReturnRange(0, 3)),
            BpfProgramKind.CgroupSockAddr when sectionName.StartsWith("cgroup/recvmsg", StringComparison.Ordinal)
                || sectionName.StartsWith("cgroup/getpeername", StringComparison.Ordinal)
                || sectionName.StartsWith("cgroup/getsockname", StringComparison.Ordinal) => rules.WithReturnRange(new ReturnRange(1, 1)),
            BpfProgramKind.CgroupSockAddr when sectionName is "cgroup/bind4" or "cgroup/bind6" => rules.WithReturnRange(new ReturnRange(0, 3)),
            BpfProgramKind.Tracing when sectionName.StartsWith("fentry", StringComparison.Ordinal) || sectionName.StartsWith("fexit", StringComparison.Ordinal)
                => rules.WithReturnRange(new ReturnRange(0, 0)),
            BpfProgramKind.Tracing when sectionName.StartsWith("iter", StringComparison.Ordinal) => rules.WithReturnRange(Verification.ReturnRange.ZeroOrOne),
            _ => rules,
        };
    }

    private ProgramTypeRules WithReturnRange(ReturnRange range) =>
        new(Kind, _helpers?.Except(s_base), range, PacketAccess, Context, _helpers is null);

    private static IEnumerable<ProgramTypeRules> BuildAll()
    {
        var zeroOrOne = Verification.ReturnRange.ZeroOrOne;

        // Raw memory: no kernel type, so no kernel restrictions on helpers; r1 is not a context.
        yield return new ProgramTypeRules(BpfProgramKind.Unspec, null, allHelpers: true);

        // Networking: any return value except where check_return_code sets a range.
        yield return new ProgramTypeRules(BpfProgramKind.SocketFilter, s_socket, context: ContextAccessRules.SocketFilter);
        yield return new ProgramTypeRules(BpfProgramKind.SchedCls, s_checksum, packetAccess: PacketAccess.ReadWrite, context: ContextAccessRules.Tc);
        yield return new ProgramTypeRules(BpfProgramKind.SchedAct, s_checksum, packetAccess: PacketAccess.ReadWrite, context: ContextAccessRules.Tc);
        yield return new ProgramTypeRules(BpfProgramKind.Xdp, s_xdp, packetAccess: PacketAccess.ReadWrite, context: ContextAccessRules.Xdp(devmap: false));
        yield return new ProgramTypeRules(BpfProgramKind.CgroupSkb, s_socket, zeroOrOne, PacketAccess.Read, ContextAccessRules.CgroupSkb);
        yield return new ProgramTypeRules(BpfProgramKind.LwtIn, s_checksum, packetAccess: PacketAccess.Read);
        yield return new ProgramTypeRules(BpfProgramKind.LwtOut, s_checksum, packetAccess: PacketAccess.Read);
        yield return new ProgramTypeRules(BpfProgramKind.LwtSeg6Local, s_checksum, packetAccess: PacketAccess.Read);
        yield return new ProgramTypeRules(BpfProgramKind.LwtXmit, s_checksum, packetAccess: PacketAccess.ReadWrite);
        yield return new ProgramTypeRules(BpfProgramKind.SkSkb, s_socket, packetAccess: PacketAccess.ReadWrite);
        yield return new ProgramTypeRules(BpfProgramKind.SkMsg, s_socket, packetAccess: PacketAccess.ReadWrite);
        yield return new ProgramTypeRules(BpfProgramKind.SkReuseport, [(int)LinuxHelper.KtimeGetCoarseNs], packetAccess: PacketAccess.Read);
        yield return new ProgramTypeRules(BpfProgramKind.FlowDissector, [(int)LinuxHelper.KtimeGetCoarseNs], packetAccess: PacketAccess.Read);

        // cgroup programs answer yes (1) or no (0).
        yield return new ProgramTypeRules(BpfProgramKind.CgroupSock, s_socket, zeroOrOne);
        yield return new ProgramTypeRules(BpfProgramKind.SockOps, s_socket, zeroOrOne);
        yield return new ProgramTypeRules(BpfProgramKind.CgroupSysctl, s_socket, zeroOrOne);
        yield return new ProgramTypeRules(BpfProgramKind.CgroupDevice, [(int)LinuxHelper.PerfEventOutput], zeroOrOne);
        yield return new ProgramTypeRules(BpfProgramKind.CgroupSockopt, null, zeroOrOne, PacketAccess.ReadWrite);
        yield return new ProgramTypeRules(BpfProgramKind.CgroupSockAddr, null, zeroOrOne);
        yield return new ProgramTypeRules(BpfProgramKind.SkLookup, null, zeroOrOne); // SK_DROP, SK_PASS
        yield return new ProgramTypeRules(BpfProgramKind.Netfilter, null, zeroOrOne); // NF_DROP, NF_ACCEPT

        // Tracing: the probe reads and perf output on top of the base set; the context is read-only.
        yield return new ProgramTypeRules(BpfProgramKind.Kprobe, s_tracing, context: ContextAccessRules.Kprobe);
        yield return new ProgramTypeRules(BpfProgramKind.Tracepoint, s_tracing, context: ContextAccessRules.Tracepoint);
        yield return new ProgramTypeRules(BpfProgramKind.PerfEvent, s_tracing, context: ContextAccessRules.PerfEvent);
        yield return new ProgramTypeRules(BpfProgramKind.RawTracepoint, s_tracing, context: ContextAccessRules.RawTracepoint);
        yield return new ProgramTypeRules(BpfProgramKind.RawTracepointWritable, s_tracing, context: ContextAccessRules.RawTracepoint);
    }
}
