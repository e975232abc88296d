namespace Bpf.Verification;

/// <summary>What a load from a context field gives the program, as the kernel's <c>is_valid_access</c> callbacks set <c>info-&gt;reg_type</c>.</summary>
public enum ContextValue
{
    /// <summary>A scalar (<c>SCALAR_VALUE</c>).</summary>
    Scalar,

    /// <summary>The first packet byte (<c>PTR_TO_PACKET</c>): <c>data</c>.</summary>
    PacketStart,

    /// <summary>One past the last packet byte (<c>PTR_TO_PACKET_END</c>): <c>data_end</c>.</summary>
    PacketEnd,

    /// <summary>The first metadata byte (<c>PTR_TO_PACKET_META</c>): <c>data_meta</c>.</summary>
    PacketMeta,

    /// <summary>
    /// <c>__sk_buff.sk</c>: a socket or 0 (<c>PTR_TO_SOCK_COMMON_OR_NULL</c>). This runtime has no
    /// sockets, so the value is always 0; programs must test it before use.
    /// </summary>
    SocketOrNull,
}
