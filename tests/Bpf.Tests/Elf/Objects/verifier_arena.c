// Arena and syscall programs for the verifier's tests, each safe or unsafe in one way the kernel's
// verifier also judges; tests compare verdicts with the kernel and check the diagnostic's line (UNSAFE).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef BPF_MAP_TYPE_ARENA
#define BPF_MAP_TYPE_ARENA 33
#endif

struct {
    __uint(type, BPF_MAP_TYPE_ARENA);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 4);
} arena SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} values SEC(".maps");

extern void *bpf_arena_alloc_pages(void *map, void *addr, __u32 page_count, int node_id, __u64 flags) __ksym;
extern void bpf_arena_free_pages(void *map, void *ptr, __u32 page_count) __ksym;

struct args {
    __u32 length;
    __u32 result;
};

__u64 page = 0;

/* addr_space_cast(r1, 0, 1) written out (clang-14 has no syntax for it): an arena pointer. */
static __always_inline __u64 *arena_pointer(__u64 address)
{
    asm volatile("r1 = %[address]\n\t.quad 0x00000001000111bf\n\t%[address] = r1" : [address] "+r"(address) : : "r1");
    return (__u64 *)address;
}

SEC("syscall")
int arena_safe(struct args *args)
{
    __u64 address = (__u64)bpf_arena_alloc_pages(&arena, 0, 1, -1, 0);
    if (!address)
        return 1;
    __u64 *p = arena_pointer(address);
    p[1] = args->length;
    p[5000] = 1; /* any offset: Linux turns faults into ignored stores */
    args->result = p[1] + *(p - 3);
    bpf_arena_free_pages(&arena, (void *)address, 1);
    return 0;
}

SEC("syscall")
int arena_index(struct args *args)
{
    bpf_arena_free_pages(&arena, (void *)0, 0);
    __u64 *p = arena_pointer(page);
    __u64 i = args->length & 0xfff;
    p = (__u64 *)((__u64)p + i);
    return *p & 1;
}

SEC("syscall")
int arena_number(struct args *args)
{
    __u64 *p = bpf_arena_alloc_pages(&arena, 0, 1, -1, 0);
    if (!p)
        return 1;
    return p[1] & 1; /* UNSAFE: the address is a number until it is cast */
}

SEC("xdp")
int arena_in_xdp(struct xdp_md *ctx)
{
    __u64 address = (__u64)bpf_arena_alloc_pages(&arena, 0, 1, -1, 0); /* UNSAFE: sleepable kfunc */
    return address ? XDP_PASS : XDP_DROP;
}

SEC("syscall")
int arena_atomic(struct args *args)
{
    bpf_arena_free_pages(&arena, (void *)0, 0);
    __u64 *p = arena_pointer(page);
    __sync_fetch_and_add(p, 1);
    return 0;
}

SEC("syscall")
int arena_fetch_or(struct args *args)
{
    bpf_arena_free_pages(&arena, (void *)0, 0);
    __u64 *p = arena_pointer(page);
    return __sync_fetch_and_or(p, 2) & 1; /* UNSAFE: x86-64 has no fetching or on arenas */
}

SEC("syscall")
int arena_to_helper(struct args *args)
{
    bpf_arena_free_pages(&arena, (void *)0, 0);
    __u64 *p = arena_pointer(page);
    __u32 key = 0;
    return bpf_map_update_elem(&values, &key, p, 0); /* UNSAFE: helpers take no arena memory */
}

SEC("syscall")
int arena_or_value(struct args *args)
{
    bpf_arena_free_pages(&arena, (void *)0, 0);
    __u64 *p = arena_pointer(page);
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&values, &key);
    if (!v)
        return 0;
    if (args->length & 1)
        v = p;
    return *v & 1; /* UNSAFE: one load through two kinds of pointer */
}

SEC("syscall")
int syscall_arguments(struct args *args)
{
    args->result = args->length * 2;
    return 0;
}

SEC("syscall")
int syscall_variable_argument(struct args *args)
{
    __u32 i = args->length & 1;
    return ((__u32 *)args)[i]; /* UNSAFE: a variable offset into the arguments */
}

char LICENSE[] SEC("license") = "GPL";
