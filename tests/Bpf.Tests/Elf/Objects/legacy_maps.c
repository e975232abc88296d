// Legacy map definitions: 28-byte struct bpf_map_def (with inner_map_idx and numa_node) in
// "maps", and 36-byte iproute2 struct bpf_elf_map in "maps/tc", used by an XDP program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
    unsigned int type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node;
};

struct bpf_elf_map {
    __u32 type, size_key, size_value, max_elem, flags, id, pinning, inner_id, inner_idx;
};

struct legacy_map_def counters SEC("maps") = {
    .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4,
};

struct legacy_map_def flows SEC("maps") = {
    .type = BPF_MAP_TYPE_HASH, .key_size = 8, .value_size = 16, .max_entries = 1024, .map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_elf_map tc_stats SEC("maps/tc") = {
    .type = BPF_MAP_TYPE_ARRAY, .size_key = 4, .size_value = 4, .max_elem = 2, .pinning = 2,
};

SEC("bpfjit/raw")
int count(const __u8 *data, __u64 length)
{
    __u32 key = length & 3;
    __u64 *value = bpf_map_lookup_elem(&counters, &key);
    if (value)
        __sync_fetch_and_add(value, 1);
    __u32 slot = 1;
    __u32 *stat = bpf_map_lookup_elem(&tc_stats, &slot);
    if (stat)
        *stat = (__u32)length;
    return key;
}

char LICENSE[] SEC("license") = "GPL";
