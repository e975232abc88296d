namespace Bpf.Runtime;

/// <summary>Program types, numbered as the kernel's <c>enum bpf_prog_type</c> (uapi/linux/bpf.h).</summary>
public enum BpfProgramKind : uint
{
    /// <summary><c>BPF_PROG_TYPE_UNSPEC</c>: no kernel type; here, raw memory or a host-defined context.</summary>
    Unspec = 0,
    /// <summary><c>BPF_PROG_TYPE_SOCKET_FILTER</c>.</summary>
    SocketFilter = 1,
    /// <summary><c>BPF_PROG_TYPE_KPROBE</c>.</summary>
    Kprobe = 2,
    /// <summary><c>BPF_PROG_TYPE_SCHED_CLS</c> (tc classifier).</summary>
    SchedCls = 3,
    /// <summary><c>BPF_PROG_TYPE_SCHED_ACT</c> (tc action).</summary>
    SchedAct = 4,
    /// <summary><c>BPF_PROG_TYPE_TRACEPOINT</c>.</summary>
    Tracepoint = 5,
    /// <summary><c>BPF_PROG_TYPE_XDP</c>.</summary>
    Xdp = 6,
    /// <summary><c>BPF_PROG_TYPE_PERF_EVENT</c>.</summary>
    PerfEvent = 7,
    /// <summary><c>BPF_PROG_TYPE_CGROUP_SKB</c>.</summary>
    CgroupSkb = 8,
    /// <summary><c>BPF_PROG_TYPE_CGROUP_SOCK</c>.</summary>
    CgroupSock = 9,
    /// <summary><c>BPF_PROG_TYPE_LWT_IN</c>.</summary>
    LwtIn = 10,
    /// <summary><c>BPF_PROG_TYPE_LWT_OUT</c>.</summary>
    LwtOut = 11,
    /// <summary><c>BPF_PROG_TYPE_LWT_XMIT</c>.</summary>
    LwtXmit = 12,
    /// <summary><c>BPF_PROG_TYPE_SOCK_OPS</c>.</summary>
    SockOps = 13,
    /// <summary><c>BPF_PROG_TYPE_SK_SKB</c>.</summary>
    SkSkb = 14,
    /// <summary><c>BPF_PROG_TYPE_CGROUP_DEVICE</c>.</summary>
    CgroupDevice = 15,
    /// <summary><c>BPF_PROG_TYPE_SK_MSG</c>.</summary>
    SkMsg = 16,
    /// <summary><c>BPF_PROG_TYPE_RAW_TRACEPOINT</c>.</summary>
    RawTracepoint = 17,
    /// <summary><c>BPF_PROG_TYPE_CGROUP_SOCK_ADDR</c>.</summary>
    CgroupSockAddr = 18,
    /// <summary><c>BPF_PROG_TYPE_LWT_SEG6LOCAL</c>.</summary>
    LwtSeg6Local = 19,
    /// <summary><c>BPF_PROG_TYPE_LIRC_MODE2</c>.</summary>
    LircMode2 = 20,
    /// <summary><c>BPF_PROG_TYPE_SK_REUSEPORT</c>.</summary>
    SkReuseport = 21,
    /// <summary><c>BPF_PROG_TYPE_FLOW_DISSECTOR</c>.</summary>
    FlowDissector = 22,
    /// <summary><c>BPF_PROG_TYPE_CGROUP_SYSCTL</c>.</summary>
    CgroupSysctl = 23,
    /// <summary><c>BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE</c>.</summary>
    RawTracepointWritable = 24,
    /// <summary><c>BPF_PROG_TYPE_CGROUP_SOCKOPT</c>.</summary>
    CgroupSockopt = 25,
    /// <summary><c>BPF_PROG_TYPE_TRACING</c> (fentry, fexit, tp_btf, iter).</summary>
    Tracing = 26,
    /// <summary><c>BPF_PROG_TYPE_STRUCT_OPS</c>.</summary>
    StructOps = 27,
    /// <summary><c>BPF_PROG_TYPE_EXT</c>.</summary>
    Ext = 28,
    /// <summary><c>BPF_PROG_TYPE_LSM</c>.</summary>
    Lsm = 29,
    /// <summary><c>BPF_PROG_TYPE_SK_LOOKUP</c>.</summary>
    SkLookup = 30,
    /// <summary><c>BPF_PROG_TYPE_SYSCALL</c>.</summary>
    Syscall = 31,
    /// <summary><c>BPF_PROG_TYPE_NETFILTER</c>.</summary>
    Netfilter = 32,
}
