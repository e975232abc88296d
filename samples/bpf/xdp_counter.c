// Counts packets by EtherType in a hash map and lets every packet pass.
#include "common.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u16);   /* EtherType, host byte order */
    __type(value, __u64); /* packets */
} packets_by_ethertype SEC(".maps");

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;

    if ((void *)(eth + 1) > data_end)
        return XDP_PASS;

    __u16 ethertype = bpf_ntohs(eth->h_proto);
    __u64 *count = bpf_map_lookup_elem(&packets_by_ethertype, &ethertype);
    if (count) {
        __sync_fetch_and_add(count, 1);
    } else {
        __u64 one = 1;
        bpf_map_update_elem(&packets_by_ethertype, &ethertype, &one, BPF_NOEXIST);
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
