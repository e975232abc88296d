// A target layout for the CO-RE test: the same structure and enum names as core.c, laid out
// differently (fields reordered, 'flags' gone, a member added, another enumerator value), as a
// host's own BTF would describe them. Only its BTF is used.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct packet_info {
    __u64 timestamp;
    struct { __u32 inner_b; __u32 inner_a; } nested;
    __u32 length;
    __u16 protocol;
    __u64 extra;
};

enum colour { RED = 1, BLUE = 42 };

struct packet_info target_layout;
enum colour target_colour;

char LICENSE[] SEC("license") = "GPL";
