// Programs for the verifier's tests, each safe or unsafe in one way the kernel's verifier also
// judges; tests compare verdicts with the kernel and check the diagnostic's line.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int safe_lookup(struct xdp_md *ctx)
{
    __u32 key = 1;
    __u64 *value = bpf_map_lookup_elem(&counts, &key);
    if (!value)
        return XDP_PASS;
    return *value & 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int unchecked_lookup(struct xdp_md *ctx)
{
    __u32 key = 1;
    __u64 *value = bpf_map_lookup_elem(&counts, &key);
    return *value & 1 ? XDP_DROP : XDP_PASS; /* UNSAFE: value may be null */
}

SEC("xdp")
int safe_packet(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_PASS;
    return eth->h_proto == 0x0008 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int unchecked_packet(struct xdp_md *ctx)
{
    struct ethhdr *eth = (void *)(long)ctx->data;
    return eth->h_proto == 0x0008 ? XDP_PASS : XDP_DROP; /* UNSAFE: no check against data_end */
}

SEC("xdp")
int value_overrun(struct xdp_md *ctx)
{
    __u32 key = 2;
    __u64 *value = bpf_map_lookup_elem(&counts, &key);
    if (!value)
        return XDP_PASS;
    return value[1] ? XDP_DROP : XDP_PASS; /* UNSAFE: the value is 8 bytes */
}

SEC("xdp")
int safe_reservation(struct xdp_md *ctx)
{
    __u64 *record = bpf_ringbuf_reserve(&events, 8, 0);
    if (!record)
        return XDP_PASS;
    *record = 42;
    bpf_ringbuf_submit(record, 0);
    return XDP_PASS;
}

SEC("xdp")
int leaked_reservation(struct xdp_md *ctx)
{
    __u64 *record = bpf_ringbuf_reserve(&events, 8, 0); /* UNSAFE: never submitted */
    if (!record)
        return XDP_PASS;
    *record = 42;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
