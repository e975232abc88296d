// An arena: pages shared by programs and the host. A syscall program (user space runs it on an
// argument block; Linux lets only such sleepable programs allocate arena pages) allocates a page
// on its first run, keeps its address in a global, and counts the length it is given in a
// histogram of 64-byte buckets in that page; the host reads the same memory as a span.
#include "common.h"

#define PAGE_SIZE 4096
#define BUCKETS 32

struct {
    __uint(type, BPF_MAP_TYPE_ARENA);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 4); /* pages */
} arena SEC(".maps");

extern void *bpf_arena_alloc_pages(void *map, void *addr, __u32 page_count, int node_id, __u64 flags) __ksym;

struct args {
    __u32 length;
};

__u64 histogram = 0; /* .bss: the page's address, once allocated */

/* The address as an arena pointer: addr_space_cast(r1, 0, 1), the instruction clang 18 and later
 * emit before dereferencing an __arena pointer. clang-14 has no syntax for it, so it is written out:
 * opcode 0xbf (mov64), dst and src r1, offset 1 (BPF_ADDR_SPACE_CAST), immediate 1 (from address
 * space 1 to 0). Linux gives programs arena addresses as numbers, which only this cast turns into
 * pointers. */
static __always_inline __u64 *arena_pointer(__u64 address)
{
    asm volatile("r1 = %[address]\n\t"
                 ".quad 0x00000001000111bf\n\t"
                 "%[address] = r1"
                 : [address] "+r"(address)
                 :
                 : "r1");
    return (__u64 *)address;
}

SEC("syscall")
int record_length(struct args *args)
{
    if (!histogram) {
        histogram = (__u64)bpf_arena_alloc_pages(&arena, 0, 1, -1, 0);
        if (!histogram)
            return 1;
    }

    __u64 *buckets = arena_pointer(histogram);
    __u32 bucket = args->length / 64;
    if (bucket >= BUCKETS)
        bucket = BUCKETS - 1;
    buckets[bucket] += 1; /* no atomics: Linux refuses them through a cast arena pointer */
    return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
