// A dispatcher that tail-calls a handler per EtherType through a program array that the object
// file fills itself (libbpf's .maps initialiser), each handler counting its packets.
#include "common.h"

enum handler { HANDLE_IPV4, HANDLE_IPV6, HANDLE_ARP, HANDLER_COUNT };

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, HANDLER_COUNT + 1);
    __type(key, __u32);
    __type(value, __u64);
} handled SEC(".maps");

static __always_inline void count(__u32 index)
{
    __u64 *value = bpf_map_lookup_elem(&handled, &index);
    if (value)
        __sync_fetch_and_add(value, 1);
}

SEC("xdp")
int handle_ipv4(struct xdp_md *ctx)
{
    count(HANDLE_IPV4);
    return XDP_PASS;
}

SEC("xdp")
int handle_ipv6(struct xdp_md *ctx)
{
    count(HANDLE_IPV6);
    return XDP_DROP;
}

SEC("xdp")
int handle_arp(struct xdp_md *ctx)
{
    count(HANDLE_ARP);
    return XDP_TX;
}

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, HANDLER_COUNT);
    __uint(key_size, sizeof(__u32));
    __array(values, int (void *));
} handlers SEC(".maps") = {
    .values = {
        [HANDLE_IPV4] = (void *)&handle_ipv4,
        [HANDLE_IPV6] = (void *)&handle_ipv6,
        [HANDLE_ARP] = (void *)&handle_arp,
    },
};

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;

    if ((void *)(eth + 1) > data_end)
        return XDP_ABORTED;

    switch (bpf_ntohs(eth->h_proto)) {
    case ETH_P_IP:
        bpf_tail_call(ctx, &handlers, HANDLE_IPV4);
        break;
    case ETH_P_IPV6:
        bpf_tail_call(ctx, &handlers, HANDLE_IPV6);
        break;
    case ETH_P_ARP:
        bpf_tail_call(ctx, &handlers, HANDLE_ARP);
        break;
    }
    count(HANDLER_COUNT); /* no handler */
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
