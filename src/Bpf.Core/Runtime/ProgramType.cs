using Bpf.Runtime.Contexts;

namespace Bpf.Runtime;

/// <summary>
/// What kind of program a program is: what its context (r1) is and how the engines present it.
/// Object files say it in their section names, by libbpf's conventions (<see cref="ForSection"/>).
/// </summary>
public sealed class ProgramType
{
    // libbpf's section names: "name/" matches any "name/..."; other names match exactly or as "name/...".
    private static readonly (string Section, BpfProgramKind Kind)[] s_sections =
    [
        ("socket", BpfProgramKind.SocketFilter),
        ("sk_reuseport/migrate", BpfProgramKind.SkReuseport), ("sk_reuseport", BpfProgramKind.SkReuseport),
        ("kprobe/", BpfProgramKind.Kprobe), ("uprobe/", BpfProgramKind.Kprobe), ("uprobe.s/", BpfProgramKind.Kprobe),
        ("kretprobe/", BpfProgramKind.Kprobe), ("uretprobe/", BpfProgramKind.Kprobe), ("uretprobe.s/", BpfProgramKind.Kprobe),
        ("kprobe.multi/", BpfProgramKind.Kprobe), ("kretprobe.multi/", BpfProgramKind.Kprobe),
        ("uprobe.multi/", BpfProgramKind.Kprobe), ("uretprobe.multi/", BpfProgramKind.Kprobe),
        ("ksyscall/", BpfProgramKind.Kprobe), ("kretsyscall/", BpfProgramKind.Kprobe), ("usdt/", BpfProgramKind.Kprobe),
        ("tc/ingress", BpfProgramKind.SchedCls), ("tc/egress", BpfProgramKind.SchedCls),
        ("tcx/ingress", BpfProgramKind.SchedCls), ("tcx/egress", BpfProgramKind.SchedCls),
        ("tc", BpfProgramKind.SchedCls), ("classifier", BpfProgramKind.SchedCls), ("action", BpfProgramKind.SchedAct),
        ("tracepoint/", BpfProgramKind.Tracepoint), ("tp/", BpfProgramKind.Tracepoint),
        ("raw_tracepoint/", BpfProgramKind.RawTracepoint), ("raw_tp/", BpfProgramKind.RawTracepoint),
        ("raw_tracepoint.w/", BpfProgramKind.RawTracepointWritable), ("raw_tp.w/", BpfProgramKind.RawTracepointWritable),
        ("tp_btf/", BpfProgramKind.Tracing), ("fentry/", BpfProgramKind.Tracing), ("fmod_ret/", BpfProgramKind.Tracing),
        ("fexit/", BpfProgramKind.Tracing), ("fentry.s/", BpfProgramKind.Tracing), ("fmod_ret.s/", BpfProgramKind.Tracing),
        ("fexit.s/", BpfProgramKind.Tracing), ("iter/", BpfProgramKind.Tracing), ("iter.s/", BpfProgramKind.Tracing),
        ("freplace/", BpfProgramKind.Ext),
        ("lsm/", BpfProgramKind.Lsm), ("lsm.s/", BpfProgramKind.Lsm), ("lsm_cgroup/", BpfProgramKind.Lsm),
        ("xdp.frags/devmap", BpfProgramKind.Xdp), ("xdp/devmap", BpfProgramKind.Xdp),
        ("xdp.frags/cpumap", BpfProgramKind.Xdp), ("xdp/cpumap", BpfProgramKind.Xdp),
        ("xdp.frags", BpfProgramKind.Xdp), ("xdp", BpfProgramKind.Xdp),
        ("perf_event", BpfProgramKind.PerfEvent),
        ("lwt_in", BpfProgramKind.LwtIn), ("lwt_out", BpfProgramKind.LwtOut), ("lwt_xmit", BpfProgramKind.LwtXmit),
        ("lwt_seg6local", BpfProgramKind.LwtSeg6Local),
        ("sockops", BpfProgramKind.SockOps),
        ("sk_skb/stream_parser", BpfProgramKind.SkSkb), ("sk_skb/stream_verdict", BpfProgramKind.SkSkb),
        ("sk_skb/verdict", BpfProgramKind.SkSkb), ("sk_skb", BpfProgramKind.SkSkb),
        ("sk_msg", BpfProgramKind.SkMsg), ("lirc_mode2", BpfProgramKind.LircMode2), ("flow_dissector", BpfProgramKind.FlowDissector),
        ("cgroup_skb/ingress", BpfProgramKind.CgroupSkb), ("cgroup_skb/egress", BpfProgramKind.CgroupSkb), ("cgroup/skb", BpfProgramKind.CgroupSkb),
        ("cgroup/sock_create", BpfProgramKind.CgroupSock), ("cgroup/sock_release", BpfProgramKind.CgroupSock),
        ("cgroup/sock", BpfProgramKind.CgroupSock), ("cgroup/post_bind4", BpfProgramKind.CgroupSock), ("cgroup/post_bind6", BpfProgramKind.CgroupSock),
        ("cgroup/bind4", BpfProgramKind.CgroupSockAddr), ("cgroup/bind6", BpfProgramKind.CgroupSockAddr),
        ("cgroup/connect4", BpfProgramKind.CgroupSockAddr), ("cgroup/connect6", BpfProgramKind.CgroupSockAddr),
        ("cgroup/connect_unix", BpfProgramKind.CgroupSockAddr), ("cgroup/sendmsg4", BpfProgramKind.CgroupSockAddr),
        ("cgroup/sendmsg6", BpfProgramKind.CgroupSockAddr), ("cgroup/sendmsg_unix", BpfProgramKind.CgroupSockAddr),
        ("cgroup/recvmsg4", BpfProgramKind.CgroupSockAddr), ("cgroup/recvmsg6", BpfProgramKind.CgroupSockAddr),
        ("cgroup/recvmsg_unix", BpfProgramKind.CgroupSockAddr), ("cgroup/getpeername4", BpfProgramKind.CgroupSockAddr),
        ("cgroup/getpeername6", BpfProgramKind.CgroupSockAddr), ("cgroup/getsockname4", BpfProgramKind.CgroupSockAddr),
        ("cgroup/getsockname6", BpfProgramKind.CgroupSockAddr),
        ("cgroup/sysctl", BpfProgramKind.CgroupSysctl),
        ("cgroup/getsockopt", BpfProgramKind.CgroupSockopt), ("cgroup/setsockopt", BpfProgramKind.CgroupSockopt),
        ("cgroup/dev", BpfProgramKind.CgroupDevice),
        ("struct_ops/", BpfProgramKind.StructOps), ("struct_ops.s/", BpfProgramKind.StructOps),
        ("sk_lookup", BpfProgramKind.SkLookup), ("syscall", BpfProgramKind.Syscall), ("netfilter", BpfProgramKind.Netfilter),
    ];

    /// <summary>Creates a program type.</summary>
    /// <param name="name">The name tools print.</param>
    /// <param name="kind">The kernel's program type it corresponds to.</param>
    /// <param name="context">The context's layout; null when r1 is raw memory or whatever the host passes.</param>
    public ProgramType(string name, BpfProgramKind kind, ContextLayout? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Kind = kind;
        Context = context;
    }

    /// <summary>
    /// The context's layout: what r1 points to, which fields programs may read and write, and
    /// which hold packet pointers the runtime translates. Null for raw memory and host-passed values.
    /// </summary>
    public ContextLayout? Context { get; }

    /// <summary>A type for programs whose context is a structure the host defines (see <see cref="StructContext"/>).</summary>
    public static ProgramType Struct(string name, ContextLayout layout) => new(name, BpfProgramKind.Unspec, layout);

    /// <summary>The name tools print.</summary>
    public string Name { get; }

    /// <summary>The kernel's program type it corresponds to.</summary>
    public BpfProgramKind Kind { get; }

    /// <summary>Raw memory: r1 points to the input and r2 is its length (the uBPF and conformance convention).</summary>
    public static ProgramType RawMemory { get; } = new("raw", BpfProgramKind.Unspec);

    /// <summary>
    /// The type an object file's section name gives, by libbpf's conventions (<c>xdp</c>,
    /// <c>socket</c>, <c>tc</c>, <c>kprobe/...</c>, <c>tracepoint/...</c>, ...); a name libbpf does not
    /// know gives a generic type (<see cref="BpfProgramKind.Unspec"/>) named after the section, which
    /// the host may override.
    /// </summary>
    public static ProgramType ForSection(string sectionName)
    {
        ArgumentNullException.ThrowIfNull(sectionName);
        foreach (var (section, kind) in s_sections)
        {
            bool matches = section.EndsWith('/')
                ? sectionName.StartsWith(section, StringComparison.Ordinal) && sectionName.Length > section.Length
                : sectionName == section || sectionName.StartsWith(section + "/", StringComparison.Ordinal);
            if (matches)
                return ForKind(kind);
        }

        return new ProgramType(sectionName.Length == 0 ? "unspec" : sectionName, BpfProgramKind.Unspec);
    }

    /// <summary>The built-in type for a kernel program type.</summary>
    public static ProgramType ForKind(BpfProgramKind kind) => kind switch
    {
        BpfProgramKind.Unspec => RawMemory,
        BpfProgramKind.Xdp => new ProgramType(KindName(kind), kind, XdpContext.Layout),
        BpfProgramKind.SocketFilter or BpfProgramKind.CgroupSkb => new ProgramType(KindName(kind), kind, SocketBufferContext.SocketFilterLayout),
        BpfProgramKind.SchedCls or BpfProgramKind.SchedAct => new ProgramType(KindName(kind), kind, SocketBufferContext.TcLayout),
        _ => new ProgramType(KindName(kind), kind),
    };

    private static string KindName(BpfProgramKind kind) => kind switch
    {
        BpfProgramKind.SocketFilter => "socket_filter",
        BpfProgramKind.SchedCls => "sched_cls",
        BpfProgramKind.SchedAct => "sched_act",
        BpfProgramKind.RawTracepoint => "raw_tracepoint",
        BpfProgramKind.RawTracepointWritable => "raw_tracepoint_writable",
        BpfProgramKind.PerfEvent => "perf_event",
        BpfProgramKind.CgroupSkb => "cgroup_skb",
        BpfProgramKind.CgroupSock => "cgroup_sock",
        BpfProgramKind.CgroupSockAddr => "cgroup_sock_addr",
        BpfProgramKind.CgroupDevice => "cgroup_device",
        BpfProgramKind.CgroupSysctl => "cgroup_sysctl",
        BpfProgramKind.CgroupSockopt => "cgroup_sockopt",
        BpfProgramKind.SockOps => "sock_ops",
        BpfProgramKind.SkSkb => "sk_skb",
        BpfProgramKind.SkMsg => "sk_msg",
        BpfProgramKind.SkLookup => "sk_lookup",
        BpfProgramKind.SkReuseport => "sk_reuseport",
        BpfProgramKind.FlowDissector => "flow_dissector",
        BpfProgramKind.LircMode2 => "lirc_mode2",
        BpfProgramKind.StructOps => "struct_ops",
        BpfProgramKind.LwtIn => "lwt_in",
        BpfProgramKind.LwtOut => "lwt_out",
        BpfProgramKind.LwtXmit => "lwt_xmit",
        BpfProgramKind.LwtSeg6Local => "lwt_seg6local",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <inheritdoc/>
    public override string ToString() => Name;
}
