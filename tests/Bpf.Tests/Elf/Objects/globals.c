// Global data in every kind of data section: .rodata (configuration), .data, .bss, custom
// .data.* and .rodata.* sections, a static variable, and offsets into the middle of them.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u64 multiplier = 3;                       /* .rodata */
const volatile __u32 table[4] = { 10, 20, 30, 40 };        /* .rodata */
__u64 total = 100;                                          /* .data */
__u64 runs;                                                 /* .bss */
static __u32 calls;                                         /* .bss, static */
__u64 custom_counter SEC(".data.counters") = 5;             /* custom .data.* section */
const volatile __u32 custom_limit SEC(".rodata.limits") = 7; /* custom .rodata.* section */

SEC("bpfjit/raw")
int accumulate(const __u8 *data, __u64 length)
{
    __u32 index = length > 0 ? data[0] & 3 : 0;
    total += table[index] * multiplier;
    runs++;
    calls += 2;
    custom_counter += custom_limit;
    return (int)total;
}

char LICENSE[] SEC("license") = "GPL";
