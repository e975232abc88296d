// Map-in-map with .maps initialisers: an array of maps and a hash of maps whose slots the object
// fills itself with inner arrays; a program counts into the inner map the input selects.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
};

struct inner first SEC(".maps"), second SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 3);
    __type(key, __u32);
    __array(values, struct inner);
} by_index SEC(".maps") = {
    .values = { [0] = &first, [2] = &second },
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __uint(max_entries, 8);
    __type(key, __u32);
    __array(values, struct inner);
} by_key SEC(".maps") = {
    .values = { [5] = &second },
};

/* data[0] selects the outer slot, data[1] the inner element; returns 1 if counted, 0 if the slot is empty. */
SEC("bpfjit/raw")
int count_in_inner(const __u8 *data, __u64 length)
{
    if (length < 2)
        return -1;
    __u32 slot = data[0], element = data[1] & 3;
    void *inner = bpf_map_lookup_elem(slot < 3 ? (void *)&by_index : (void *)&by_key, &slot);
    if (!inner)
        return 0;
    __u64 *value = bpf_map_lookup_elem(inner, &element);
    if (!value)
        return 0;
    __sync_fetch_and_add(value, 1);
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
