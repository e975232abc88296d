using Bpf.Runtime.Contexts;

namespace Bpf.Verification;

/// <summary>
/// Which bytes of a program type's context may be loaded and stored, at which sizes, and what the
/// loads give: the kernel's <c>is_valid_access</c> callback of the type (<c>xdp_is_valid_access</c>,
/// <c>sk_filter_is_valid_access</c>, <c>tc_cls_act_is_valid_access</c>, <c>cg_skb_is_valid_access</c>,
/// <c>kprobe_prog_is_valid_access</c>, ...) written as a table of fields. An access is allowed when it
/// lies inside one field, is aligned to its own size, and its size is one the field allows for
/// that kind of access. The tables were checked against Linux 6.18 by loading every offset and
/// size (1, 2, 4, 8) as a load, a sign-extending load and a store.
/// </summary>
public sealed class ContextAccessRules
{
    private const int TracepointCommonFields = 8; // struct trace_entry, which programs may not read
    private const int PerfMaxTraceSize = 8192; // PERF_MAX_TRACE_SIZE
    private const int PtRegsSize = 168; // sizeof(struct pt_regs) on x86-64
    private const int MaxBpfFuncArgs = 12; // MAX_BPF_FUNC_ARGS: raw tracepoint arguments

    // Declared before the tables built from them: static initializers run in order.
    private static readonly FieldPolicy Denied = new(AccessWidths.None, AccessWidths.None);
    private static readonly FieldPolicy Cb = new(AccessWidths.Any, AccessWidths.Any);

    /// <summary>Describes a context.</summary>
    /// <param name="name">The C structure's name.</param>
    /// <param name="size">The structure's size: no access reaches past it.</param>
    /// <param name="fields">The fields programs may access in some way, without overlaps.</param>
    public ContextAccessRules(string name, int size, IReadOnlyList<ContextFieldRule> fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(fields);
        Name = name;
        Size = size;
        Fields = fields.OrderBy(f => f.Offset).ToList();
        for (int i = 0; i < Fields.Count; i++)
        {
            var field = Fields[i];
            if (field.Offset < 0 || field.Size <= 0 || field.End > size || (i > 0 && Fields[i - 1].End > field.Offset))
                throw new ArgumentException($"field {field.Name} [{field.Offset}, {field.End}) overlaps another or leaves the {size}-byte {name}", nameof(fields));
        }
    }

    /// <summary>The C structure's name (<c>xdp_md</c>, <c>__sk_buff</c>, <c>pt_regs</c>).</summary>
    public string Name { get; }

    /// <summary>The structure's size.</summary>
    public int Size { get; }

    /// <summary>The fields programs may touch, by offset. Bytes in no field cannot be accessed at all.</summary>
    public IReadOnlyList<ContextFieldRule> Fields { get; }

    /// <summary>The field named <paramref name="name"/>, or null.</summary>
    public ContextFieldRule? Field(string name) => Fields.FirstOrDefault(f => f.Name == name);

    /// <summary>The field that holds byte <paramref name="offset"/>, or null.</summary>
    public ContextFieldRule? FieldAt(int offset) => Fields.FirstOrDefault(f => offset >= f.Offset && offset < f.End);

    /// <summary>
    /// Decides an access of <paramref name="size"/> bytes at constant offset <paramref name="offset"/>
    /// from the unmodified context pointer.
    /// </summary>
    public ContextAccessVerdict Check(int offset, int size, ContextAccessKind kind)
    {
        string invalid = $"invalid bpf_context access off={offset} size={size}";
        if (kind == ContextAccessKind.Atomic)
            return ContextAccessVerdict.Deny(FieldAt(offset), "BPF_ATOMIC stores into ctx are not allowed");
        var field = FieldAt(offset);
        if (field is null || size is not (1 or 2 or 4 or 8) || offset % size != 0 || offset + size > field.End)
            return ContextAccessVerdict.Deny(field, invalid);

        switch (kind)
        {
            case ContextAccessKind.Store:
                return field.Write.Allows(size) ? ContextAccessVerdict.Allow(field, ContextValue.Scalar) : ContextAccessVerdict.Deny(field, invalid);
            case ContextAccessKind.SignExtendingLoad when field.Value != ContextValue.Scalar || size == 8:
                return ContextAccessVerdict.Deny(field, invalid);
            default:
                return field.Read.Allows(size) ? ContextAccessVerdict.Allow(field, field.Value) : ContextAccessVerdict.Deny(field, invalid);
        }
    }

    /// <summary>
    /// <c>struct xdp_md</c> (<c>xdp_is_valid_access</c>): every field read-only, 4-byte loads only;
    /// <c>egress_ifindex</c> only for programs attached to a devmap entry.
    /// </summary>
    public static ContextAccessRules Xdp(bool devmap)
    {
        var layout = XdpContext.Layout;
        var fields = new List<ContextFieldRule>();
        foreach (var field in layout.Fields)
        {
            if (field.Name == "egress_ifindex" && !devmap)
                continue;
            fields.Add(new ContextFieldRule(field.Name, field.Offset, field.Size, AccessWidths.Word, Value: ValueOf(field.Pointer)));
        }

        return new ContextAccessRules(layout.Name, layout.Size, fields);
    }

    /// <summary>
    /// <c>struct __sk_buff</c> for socket filters (<c>sk_filter_is_valid_access</c>): no packet
    /// pointers, no socket addresses, no timestamps; only <c>cb</c> is writable.
    /// </summary>
    public static ContextAccessRules SocketFilter { get; } = SocketBuffer(field => field switch
    {
        "tc_classid" or "data" or "data_end" or "data_meta" or "flow_keys" or "tstamp" or "wire_len" or "hwtstamp" or "tstamp_type" => Denied,
        _ when IsSocketAddress(field) => Denied,
        "cb" => Cb,
        _ => Default(field),
    });

    /// <summary>
    /// <c>struct __sk_buff</c> for tc classifiers and actions (<c>tc_cls_act_is_valid_access</c>):
    /// packet pointers; <c>mark</c>, <c>queue_mapping</c>, <c>priority</c>, <c>tc_index</c>,
    /// <c>tc_classid</c> (4-byte stores), <c>cb</c> and <c>tstamp</c> writable; no socket addresses.
    /// </summary>
    public static ContextAccessRules Tc { get; } = SocketBuffer(field => field switch
    {
        "flow_keys" => Denied,
        _ when IsSocketAddress(field) => Denied,
        "mark" or "queue_mapping" or "priority" or "tc_index" or "tc_classid" => Default(field) with { Write = AccessWidths.Word },
        "tstamp" => Default(field) with { Write = AccessWidths.Double },
        "tstamp_type" => new(AccessWidths.Byte, AccessWidths.None),
        "cb" => Cb,
        _ => Default(field),
    });

    /// <summary>
    /// <c>struct __sk_buff</c> for cgroup skb programs (<c>cg_skb_is_valid_access</c>): <c>data</c> and
    /// <c>data_end</c> (read-only packet), socket addresses; <c>mark</c>, <c>priority</c>, <c>cb</c> and
    /// <c>tstamp</c> writable; no <c>tc_classid</c>, <c>data_meta</c>, <c>wire_len</c>.
    /// </summary>
    public static ContextAccessRules CgroupSkb { get; } = SocketBuffer(field => field switch
    {
        "tc_classid" or "data_meta" or "wire_len" or "flow_keys" or "tstamp_type" => Denied,
        "mark" or "priority" => Default(field) with { Write = AccessWidths.Word },
        "tstamp" => Default(field) with { Write = AccessWidths.Double },
        "cb" => Cb,
        _ => Default(field),
    });

    /// <summary><c>struct pt_regs</c> for kprobes (<c>kprobe_prog_is_valid_access</c>): read-only, any aligned size.</summary>
    public static ContextAccessRules Kprobe { get; } = new("pt_regs", PtRegsSize, [new ContextFieldRule("regs", 0, PtRegsSize, AccessWidths.Any)]);

    /// <summary>
    /// A tracepoint's record (<c>tp_prog_is_valid_access</c>): read-only, any aligned size, from the
    /// end of the 8-byte common header to <c>PERF_MAX_TRACE_SIZE</c>.
    /// </summary>
    public static ContextAccessRules Tracepoint { get; } = new("trace_event_raw", PerfMaxTraceSize,
        [new ContextFieldRule("fields", TracepointCommonFields, PerfMaxTraceSize - TracepointCommonFields, AccessWidths.Any)]);

    /// <summary>
    /// <c>struct bpf_perf_event_data</c> (<c>pe_prog_is_valid_access</c>): the registers by 8-byte
    /// loads, <c>sample_period</c> and <c>addr</c> at any aligned size; read-only.
    /// </summary>
    public static ContextAccessRules PerfEvent { get; } = new("bpf_perf_event_data", PtRegsSize + 16,
    [
        new ContextFieldRule("regs", 0, PtRegsSize, AccessWidths.Double),
        new ContextFieldRule("sample_period", PtRegsSize, 8, AccessWidths.Any),
        new ContextFieldRule("addr", PtRegsSize + 8, 8, AccessWidths.Any),
    ]);

    /// <summary>
    /// A raw tracepoint's <c>u64 args[12]</c> (<c>raw_tp_prog_is_valid_access</c>,
    /// <c>bpf_tracing_ctx_access</c>): read-only, any aligned size.
    /// </summary>
    public static ContextAccessRules RawTracepoint { get; } = new("bpf_raw_tracepoint_args", MaxBpfFuncArgs * 8,
        [new ContextFieldRule("args", 0, MaxBpfFuncArgs * 8, AccessWidths.Any)]);

    /// <summary>
    /// Rules for a context a host defines (<see cref="ContextLayout.Struct"/>): every field readable at
    /// any aligned size, writable at any aligned size where the layout says so; packet pointer
    /// fields by 4-byte loads only, as in the kernel's contexts.
    /// </summary>
    public static ContextAccessRules FromLayout(ContextLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var fields = layout.Fields.Select(field => field.Pointer == ContextPointer.None
            ? new ContextFieldRule(field.Name, field.Offset, field.Size, AccessWidths.Any, field.Writable ? AccessWidths.Any : AccessWidths.None)
            : new ContextFieldRule(field.Name, field.Offset, field.Size, AccessWidths.Word, Value: ValueOf(field.Pointer)));
        return new ContextAccessRules(layout.Name, layout.Size, fields.ToList());
    }

    /// <summary>What a type allows on one field; <see cref="Value"/> overrides the layout's pointer kind.</summary>
    private sealed record FieldPolicy(AccessWidths Read, AccessWidths Write, ContextValue? Value = null);

    // bpf_skb_is_valid_access, before the per-type rules: 32-bit fields allow narrow loads, packet
    // pointers 4-byte loads, the IPv4/IPv6 addresses 4-byte loads, the 64-bit fields 8-byte loads.
    private static FieldPolicy Default(string field) => field switch
    {
        "data" or "data_end" or "data_meta" or "remote_ip4" or "local_ip4" or "remote_ip6" or "local_ip6" => new(AccessWidths.Word, AccessWidths.None),
        "tstamp" or "hwtstamp" or "flow_keys" => new(AccessWidths.Double, AccessWidths.None),
        "sk" => new(AccessWidths.Double, AccessWidths.None, ContextValue.SocketOrNull),
        "tstamp_type" => Denied,
        _ => new(AccessWidths.Narrow32, AccessWidths.None),
    };

    // bpf_ctx_range_till(struct __sk_buff, family, local_port)
    private static bool IsSocketAddress(string field) =>
        field is "family" or "remote_ip4" or "local_ip4" or "remote_ip6" or "local_ip6" or "remote_port" or "local_port";

    private static ContextAccessRules SocketBuffer(Func<string, FieldPolicy> policy)
    {
        // TcLayout names every __sk_buff field; the per-type policy decides what programs may do with each.
        var layout = SocketBufferContext.TcLayout;
        var fields = new List<ContextFieldRule>();
        foreach (var field in layout.Fields)
        {
            var allowed = policy(field.Name);
            if (allowed.Read == AccessWidths.None && allowed.Write == AccessWidths.None)
                continue;
            fields.Add(new ContextFieldRule(field.Name, field.Offset, field.Size, allowed.Read, allowed.Write, allowed.Value ?? ValueOf(field.Pointer)));
        }

        return new ContextAccessRules(layout.Name, layout.Size, fields);
    }

    private static ContextValue ValueOf(ContextPointer pointer) => pointer switch
    {
        ContextPointer.PacketStart => ContextValue.PacketStart,
        ContextPointer.PacketEnd => ContextValue.PacketEnd,
        ContextPointer.PacketMeta => ContextValue.PacketMeta,
        _ => ContextValue.Scalar,
    };
}
