namespace Bpf.Verification;

/// <summary>
/// Whether a program type may load and store packet bytes through <c>data</c>/<c>data_end</c>
/// pointers, as the kernel's <c>may_access_direct_pkt_data</c> decides it.
/// </summary>
public enum PacketAccess
{
    /// <summary>No direct packet access (socket filters, tracing): the context has no packet pointers to load.</summary>
    None,

    /// <summary>Loads only ("cannot write into packet" for stores): cgroup skb, lwt in/out/seg6local, sk_reuseport, flow dissector.</summary>
    Read,

    /// <summary>Loads and stores: XDP, tc, lwt xmit, sk_skb, sk_msg.</summary>
    ReadWrite,
}
