// An arena: pages shared by programs and the host. The program allocates a page on first use
// and keeps a histogram of packet lengths in it (64-byte buckets); the host reads the same
// memory as a span. (clang-14 cannot mark pointers __arena, so this sample holds them as plain
// pointers; samples/asm/arena.asm shows the addr_space_cast instruction newer compilers emit.)
#include "common.h"

#define PAGE_SIZE 4096
#define BUCKETS 32

struct {
    __uint(type, BPF_MAP_TYPE_ARENA);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 4); /* pages */
} arena SEC(".maps");

extern void *bpf_arena_alloc_pages(void *map, void *addr, __u32 page_count, int node_id, __u64 flags) __ksym;

__u64 *histogram = 0; /* .bss: the page, once allocated */

SEC("xdp")
int length_histogram(struct xdp_md *ctx)
{
    __u64 *buckets = histogram;
    if (!buckets) {
        buckets = bpf_arena_alloc_pages(&arena, 0, 1, -1, 0);
        if (!buckets)
            return XDP_ABORTED;
        histogram = buckets;
    }

    __u32 length = (__u32)(ctx->data_end - ctx->data);
    __u32 bucket = length / 64;
    if (bucket >= BUCKETS)
        bucket = BUCKETS - 1;
    __sync_fetch_and_add(&buckets[bucket], 1);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
