// Global variables as configuration, libbpf-skeleton style: the host sets the read-only
// ones (.rodata) before the program is compiled, and reads the counters (.bss, .data) after.
#include "common.h"

const volatile __u32 max_length = 1500;  /* .rodata: drop packets longer than this */
const volatile __u8 drop_ipv6 = 0;       /* .rodata: drop IPv6 too */

__u64 passed = 0;                        /* .bss */
__u64 dropped = 0;                       /* .bss */
__u32 last_length = 7;                   /* .data */
char greeting[16] = "hello, bpfjit";     /* .data */

SEC("xdp")
int filter_by_config(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    __u32 length = (__u32)(data_end - data);

    last_length = length;
    if (length > max_length)
        goto drop;
    if ((void *)(eth + 1) <= data_end && drop_ipv6 && eth->h_proto == bpf_htons(ETH_P_IPV6))
        goto drop;
    __sync_fetch_and_add(&passed, 1);
    return XDP_PASS;
drop:
    __sync_fetch_and_add(&dropped, 1);
    return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
