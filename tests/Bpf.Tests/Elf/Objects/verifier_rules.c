// Programs for the verifier's memory rules (stack at variable offsets, alignment, context fields),
// each safe or unsafe as the kernel's verifier judges it when loaded by root; tests compare
// verdicts with the kernel (privileged policy) and check that diagnostics name the UNSAFE line.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair {
    __u64 first;
    __u64 second;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, struct pair);
} pairs SEC(".maps");

struct padded {
    __u8 tag;
    __u32 id; /* three bytes of padding before it */
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, struct padded);
    __type(value, __u64);
} by_padded SEC(".maps");

SEC("xdp")
int variable_key(struct xdp_md *ctx)
{
    __u32 keys[4] = {1, 2, 3, 4};
    __u32 i = bpf_get_prandom_u32() & 3;
    struct pair *value = bpf_map_lookup_elem(&pairs, &keys[i]);
    return value ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int variable_key_past_frame(struct xdp_md *ctx)
{
    __u32 keys[4] = {1, 2, 3, 4};
    __u32 i = bpf_get_prandom_u32() & 7;
    struct pair *value = bpf_map_lookup_elem(&pairs, &keys[i]); /* UNSAFE: keys[7] is past the frame */
    return value ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int variable_store(struct xdp_md *ctx)
{
    __u64 slots[2] = {0, 0};
    __u32 i = bpf_get_prandom_u32() & 1;
    slots[i] = 7;
    return slots[0] + slots[1] == 7 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int aligned_atomic(struct xdp_md *ctx)
{
    __u32 key = 1;
    struct pair *value = bpf_map_lookup_elem(&pairs, &key);
    if (!value)
        return XDP_PASS;
    __sync_fetch_and_add(&value->second, 1);
    return XDP_PASS;
}

SEC("xdp")
int misaligned_atomic(struct xdp_md *ctx)
{
    __u32 key = 1;
    struct pair *value = bpf_map_lookup_elem(&pairs, &key);
    if (!value)
        return XDP_PASS;
    __sync_fetch_and_add((__u64 *)((char *)value + 4), 1); /* UNSAFE: atomics must be aligned */
    return XDP_PASS;
}

SEC("tc")
int tc_write_mark(struct __sk_buff *skb)
{
    skb->mark = 7;
    return 0;
}

SEC("tc")
int tc_write_len(struct __sk_buff *skb)
{
    skb->len = 7; /* UNSAFE: len is read-only */
    return 0;
}

SEC("socket")
int socket_narrow_load(struct __sk_buff *skb)
{
    return *((volatile __u8 *)&skb->protocol + 1);
}

SEC("xdp")
int xdp_narrow_load(struct xdp_md *ctx)
{
    return *(volatile __u16 *)&ctx->ingress_ifindex; /* UNSAFE: xdp_md takes 4-byte loads only */
}

SEC("xdp")
int padded_key(struct xdp_md *ctx)
{
    struct padded key;
    key.tag = 1;
    key.id = 2;
    __u64 *value = bpf_map_lookup_elem(&by_padded, &key); /* UNSAFE (strict): the padding was never written */
    return value ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int pointer_into_map(struct xdp_md *ctx)
{
    __u32 key = 1;
    struct pair *value = bpf_map_lookup_elem(&pairs, &key);
    if (!value)
        return XDP_PASS;
    value->first = (__u64)(long)value; /* UNSAFE (strict): the host can read the pointer */
    return XDP_PASS;
}

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

/* Linux 6.14+ knows that an array's element at a constant index inside it exists, when the key
 * is zero bytes or a 4-byte store of the constant at the start of a stack slot. */
SEC("xdp")
int const_key_array(struct xdp_md *ctx)
{
    __u32 key __attribute__((aligned(8))) = 3;
    __u64 *count = bpf_map_lookup_elem(&counters, &key);
    __sync_fetch_and_add(count, 1);
    return XDP_PASS;
}

SEC("xdp")
int const_key_zero(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *count = bpf_map_lookup_elem(&counters, &key);
    return *count ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int const_key_past_end(struct xdp_md *ctx)
{
    __u32 key __attribute__((aligned(8))) = 4;
    __u64 *count = bpf_map_lookup_elem(&counters, &key);
    __sync_fetch_and_add(count, 1); /* UNSAFE: index 4 is past the array, so the lookup may fail */
    return XDP_PASS;
}

SEC("xdp")
int const_key_unaligned(struct xdp_md *ctx)
{
    __u32 key = 3;
    __u64 *count = bpf_map_lookup_elem(&counters, &key);
    __sync_fetch_and_add(count, 1); /* UNSAFE: the key's store is not at the start of a slot */
    return XDP_PASS;
}

SEC("xdp")
int variable_key_array(struct xdp_md *ctx)
{
    __u32 key = bpf_get_prandom_u32() & 3;
    __u64 *count = bpf_map_lookup_elem(&counters, &key);
    __sync_fetch_and_add(count, 1); /* UNSAFE: the index is not a constant */
    return XDP_PASS;
}

SEC("xdp")
int const_key_hash(struct xdp_md *ctx)
{
    __u32 key = 1;
    struct pair *value = bpf_map_lookup_elem(&pairs, &key);
    return value->first ? XDP_DROP : XDP_PASS; /* UNSAFE: a hash map may lack any key */
}

char LICENSE[] SEC("license") = "GPL";
