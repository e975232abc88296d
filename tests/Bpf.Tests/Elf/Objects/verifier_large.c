// A large XDP program for the verifier's speed measurement (perf/Bpf.Benchmarks, VerifierBenchmarks
// and the kernel-verifier mode): a packet parser with unrolled and bounded loops, many branches,
// map lookups and a bpf_loop callback. Both the kernel's verifier and ours must accept it; it is
// the "largest test program" of the verifier's done-when list.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_VLAN 2
#define RULES 48
#define IPV6_EXTENSIONS 4
#define TCP_OPTIONS 4
#define DNS_BYTES 24
#define HASH_ROUNDS 32

struct flow_key {
    __u32 source;
    __u32 destination;
    __u16 source_port;
    __u16 destination_port;
    __u8 protocol;
    __u8 padding[3];
};

struct flow_stats {
    __u64 packets;
    __u64 bytes;
    __u32 flags;
    __u32 mss;
    __u32 window_scale;
    __u32 rule;
};

struct rule {
    __u16 port_min;
    __u16 port_max;
    __u8 protocol;
    __u8 action;
    __u16 weight;
};

struct config {
    __u32 enabled;
    __u32 drop_fragments;
    __u32 max_ttl;
    __u32 sample_rate;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, struct flow_key);
    __type(value, struct flow_stats);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct config);
} settings SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, RULES);
    __type(key, __u32);
    __type(value, struct rule);
} rules SEC(".maps");

/* Fixed port classes the compiler unrolls into a chain of comparisons. */
static const __u16 well_known[16] = { 20, 21, 22, 23, 25, 53, 67, 68, 80, 110, 123, 143, 443, 465, 993, 995 };

struct hash_state {
    __u32 words[8];
    __u32 hash;
};

static __always_inline void count(__u32 index)
{
    __u64 *counter = bpf_map_lookup_elem(&counters, &index);
    if (counter)
        __sync_fetch_and_add(counter, 1);
}

static long mix_round(__u64 index, struct hash_state *state)
{
    /* Constant offsets only: the words are picked by comparisons, not indexed. */
    __u32 word = state->words[0] * 3;
    if (index & 1)
        word = state->words[1] ^ 0x55;
    if (index & 2)
        word ^= state->words[2] + state->words[3];
    if (index & 4)
        word ^= state->words[4] * state->words[5];
    if (index & 8)
        word += state->words[6] ^ state->words[7];
    __u32 hash = state->hash ^ word;
    hash *= 0x01000193;
    hash ^= hash >> 15;
    if (index & 1)
        hash += 0x9e3779b9;
    state->hash = hash;
    return 0;
}

/* The flow's hash: bpf_loop runs the mixing callback HASH_ROUNDS times. */
static __always_inline __u32 flow_hash(const struct flow_key *key)
{
    struct hash_state state = {};
    state.words[0] = key->source;
    state.words[1] = key->destination;
    state.words[2] = ((__u32)key->source_port << 16) | key->destination_port;
    state.words[3] = key->protocol;
    state.words[4] = key->source ^ key->destination;
    state.words[5] = key->source_port * 31 + key->destination_port;
    state.words[6] = 0x5bd1e995;
    state.words[7] = 0x27d4eb2f;
    state.hash = 0x811c9dc5;
    bpf_loop(HASH_ROUNDS, mix_round, &state, 0);
    return state.hash;
}

/* The class of a port: its index in well_known, or 16. */
static __always_inline __u32 port_class(__u16 port)
{
    __u32 class = 16;
#pragma unroll
    for (int i = 0; i < 16; i++) {
        if (port == well_known[i])
            class = i;
    }
    return class;
}

/* The first rule (from the rules map) matching the port and protocol, or RULES. */
static __always_inline __u32 match_rule(__u16 port, __u8 protocol)
{
#pragma unroll
    for (__u32 i = 0; i < RULES; i++) {
        __u32 key = i;
        struct rule *rule = bpf_map_lookup_elem(&rules, &key);
        if (!rule)
            continue;
        if (rule->protocol != protocol && rule->protocol != 0)
            continue;
        if (port >= rule->port_min && port <= rule->port_max)
            return i;
    }
    return RULES;
}

/* One's-complement sum of the IPv4 header's ten 16-bit words (options not included). */
static __always_inline __u16 ipv4_checksum(const __u16 *words, void *data_end)
{
    __u32 sum = 0;
    if ((void *)(words + 10) > data_end)
        return 0;
#pragma unroll
    for (int i = 0; i < 10; i++) {
        if (i != 5)
            sum += words[i];
    }
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

/* TCP options: the MSS and window scale, walking at most TCP_OPTIONS options. */
static __always_inline void tcp_options(struct tcphdr *tcp, void *data_end, struct flow_stats *stats)
{
    __u8 *options = (__u8 *)(tcp + 1);
    __u32 offset = 0;
    __u32 length = tcp->doff * 4;
    if (length < sizeof(*tcp))
        return;
    length -= sizeof(*tcp);
    if (length > 40)
        length = 40;

#pragma unroll
    for (int i = 0; i < TCP_OPTIONS; i++) {
        if (offset >= length || offset > 36)
            break;
        __u8 *option = options + offset;
        if ((void *)(option + 4) > data_end)
            break;
        __u8 kind = option[0];
        if (kind == 0)
            break;
        if (kind == 1) {
            offset += 1;
            continue;
        }
        __u8 size = option[1];
        if (size < 2)
            break;
        if (kind == 2 && size == 4)
            stats->mss = ((__u32)option[2] << 8) | option[3];
        else if (kind == 3 && size == 3)
            stats->window_scale = option[2];
        else if (kind == 4)
            stats->flags |= 1;
        else if (kind == 8)
            stats->flags |= 2;
        offset += size;
    }
}

/* A DNS query's first labels: counts label lengths and letters over the first DNS_BYTES bytes. */
static __always_inline __u32 dns_labels(__u8 *name, void *data_end)
{
    __u32 labels = 0, letters = 0, digits = 0;
    if ((void *)(name + DNS_BYTES) > data_end)
        return 0;
#pragma unroll
    for (int i = 0; i < DNS_BYTES; i++) {
        __u8 c = name[i];
        if (c == 0)
            break;
        if (c < 64)
            labels++;
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            letters++;
        else if (c >= '0' && c <= '9')
            digits++;
    }
    return labels << 16 | letters << 8 | digits;
}

static __always_inline int account(struct flow_key *key, __u64 bytes, struct flow_stats *learned)
{
    struct flow_stats *stats = bpf_map_lookup_elem(&flows, key);
    if (!stats) {
        struct flow_stats fresh = *learned;
        fresh.packets = 1;
        fresh.bytes = bytes;
        bpf_map_update_elem(&flows, key, &fresh, BPF_NOEXIST);
        return 0;
    }
    __sync_fetch_and_add(&stats->packets, 1);
    __sync_fetch_and_add(&stats->bytes, bytes);
    if (learned->mss)
        stats->mss = learned->mss;
    if (learned->window_scale)
        stats->window_scale = learned->window_scale;
    stats->flags |= learned->flags;
    stats->rule = learned->rule;
    return 1;
}

SEC("xdp")
int large_parser(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct flow_key key = {};
    struct flow_stats learned = {};
    __u32 zero = 0;
    __u64 bytes = data_end - data;

    struct config *config = bpf_map_lookup_elem(&settings, &zero);
    if (!config || !config->enabled)
        return XDP_PASS;

    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end) {
        count(0);
        return XDP_DROP;
    }

    __u16 proto = eth->h_proto;
    __u32 offset = sizeof(*eth);
#pragma unroll
    for (int i = 0; i < MAX_VLAN; i++) {
        if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
            break;
        __u16 *vlan = data + offset;
        if ((void *)(vlan + 2) > data_end)
            return XDP_DROP;
        proto = vlan[1];
        offset += 4;
        count(1 + i);
    }

    __u8 *l4 = 0;
    if (proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = data + offset;
        if ((void *)(ip + 1) > data_end)
            return XDP_DROP;
        if (ip->ihl < 5) {
            count(4);
            return XDP_DROP;
        }
        if (ip->ttl > config->max_ttl) {
            count(5);
            return XDP_DROP;
        }
        if (config->drop_fragments && (ip->frag_off & bpf_htons(0x3fff))) {
            count(6);
            return XDP_DROP;
        }
        if (ipv4_checksum((__u16 *)ip, data_end) != ip->check)
            count(7);
        key.source = ip->saddr;
        key.destination = ip->daddr;
        key.protocol = ip->protocol;
        l4 = (__u8 *)ip + ip->ihl * 4;
        count(8);
    } else if (proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = data + offset;
        if ((void *)(ip6 + 1) > data_end)
            return XDP_DROP;
        key.source = ip6->saddr.in6_u.u6_addr32[3];
        key.destination = ip6->daddr.in6_u.u6_addr32[3];
        __u8 next = ip6->nexthdr;
        __u8 *header = (__u8 *)(ip6 + 1);
#pragma unroll
        for (int i = 0; i < IPV6_EXTENSIONS; i++) {
            if (next != 0 && next != 43 && next != 60 && next != 44)
                break;
            if ((void *)(header + 8) > data_end)
                return XDP_DROP;
            next = header[0];
            header += (header[1] + 1) * 8;
            count(9 + i);
        }
        key.protocol = next;
        l4 = header;
        count(13);
    } else {
        count(14);
        return XDP_PASS;
    }

    if (key.protocol == IPPROTO_TCP) {
        struct tcphdr *tcp = (struct tcphdr *)l4;
        if ((void *)(tcp + 1) > data_end)
            return XDP_DROP;
        key.source_port = bpf_ntohs(tcp->source);
        key.destination_port = bpf_ntohs(tcp->dest);
        if (tcp->syn)
            learned.flags |= 4;
        if (tcp->rst)
            learned.flags |= 8;
        if (tcp->fin)
            learned.flags |= 16;
        tcp_options(tcp, data_end, &learned);
        count(15);
    } else if (key.protocol == IPPROTO_UDP) {
        struct udphdr *udp = (struct udphdr *)l4;
        if ((void *)(udp + 1) > data_end)
            return XDP_DROP;
        key.source_port = bpf_ntohs(udp->source);
        key.destination_port = bpf_ntohs(udp->dest);
        if (key.destination_port == 53 || key.source_port == 53) {
            __u8 *name = (__u8 *)(udp + 1) + 12;
            learned.flags |= dns_labels(name, data_end) << 8;
        }
        count(16);
    } else if (key.protocol == IPPROTO_ICMP) {
        count(17);
        return XDP_PASS;
    } else {
        count(18);
        return XDP_PASS;
    }

    __u32 class = port_class(key.destination_port);
    count(20 + class);
    __u32 rule = match_rule(key.destination_port, key.protocol);
    learned.rule = rule;
    if (rule < RULES) {
        __u32 index = rule;
        struct rule *matched = bpf_map_lookup_elem(&rules, &index);
        if (matched && matched->action == 1) {
            count(40);
            return XDP_DROP;
        }
    }

    if (config->sample_rate && (flow_hash(&key) % config->sample_rate) == 0)
        count(41);
    if (account(&key, bytes, &learned))
        count(42);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
