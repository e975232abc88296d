// Produces an event per packet into a ring buffer: reserve/submit for IPv4 packets, discard for
// the rest, and bpf_ringbuf_output for a summary every 4th packet.
#include "common.h"

struct packet_event {
    __u64 timestamp_ns;
    __u32 length;
    __u16 ethertype;
    __u8 ip_protocol;
    __u8 kind; /* 1 = reserved record, 2 = output copy */
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096 * 4);
} events SEC(".maps");

__u64 packets_seen = 0;

SEC("xdp")
int report_packets(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    __u64 seen = __sync_fetch_and_add(&packets_seen, 1) + 1;

    if ((void *)(eth + 1) > data_end)
        return XDP_PASS;

    struct packet_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
    if (!event)
        return XDP_PASS;

    event->timestamp_ns = bpf_ktime_get_ns();
    event->length = (__u32)(data_end - data);
    event->ethertype = bpf_ntohs(eth->h_proto);
    event->ip_protocol = 0;
    event->kind = 1;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) <= data_end)
            event->ip_protocol = ip->protocol;
        bpf_ringbuf_submit(event, 0);
    } else {
        bpf_ringbuf_discard(event, 0);
    }

    if (seen % 4 == 0) {
        struct packet_event summary = { .length = (__u32)seen, .kind = 2 };
        bpf_ringbuf_output(&events, &summary, sizeof(summary), 0);
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
