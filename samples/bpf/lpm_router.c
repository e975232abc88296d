// Routes IPv4 packets by longest-prefix match of the destination: the route says whether to
// drop, pass or transmit, and each route counts its packets.
#include "common.h"

struct route_key {
    __u32 prefix_length;
    __u32 address; /* network byte order */
};

struct route {
    __u32 action; /* an XDP action */
    __u32 counter; /* index into route_hits */
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 128);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct route_key);
    __type(value, struct route);
} routes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} route_hits SEC(".maps");

SEC("xdp")
int route_ipv4(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);

    if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;

    struct route_key key = { .prefix_length = 32, .address = ip->daddr };
    struct route *route = bpf_map_lookup_elem(&routes, &key);
    if (!route)
        return XDP_DROP; /* no route */

    __u32 counter = route->counter;
    __u64 *hits = bpf_map_lookup_elem(&route_hits, &counter);
    if (hits)
        __sync_fetch_and_add(hits, 1);
    return route->action;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
