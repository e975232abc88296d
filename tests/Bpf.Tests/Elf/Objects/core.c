// CO-RE relocations: field offsets, sizes, existence, type size and enumerator values through
// __builtin_preserve_access_index and libbpf's bpf_core_* macros.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct packet_info {
    __u32 length;
    __u16 protocol;
    __u8 flags;
    __u64 timestamp;
    struct { __u32 inner_a; __u32 inner_b; } nested;
} __attribute__((preserve_access_index));

enum colour { RED = 1, GREEN = 20, BLUE = 300 };

SEC("bpfjit/raw")
int read_fields(struct packet_info *info, __u64 length)
{
    if (length < sizeof(struct packet_info))
        return -1;
    __u64 result = info->nested.inner_b;                       /* field offset 20 */
    result += bpf_core_field_exists(info->flags) * 1000;       /* 1 */
    result += bpf_core_type_size(struct packet_info) * 10000;  /* 24 */
    result += bpf_core_enum_value(enum colour, BLUE) * 1000000; /* 300 */
    result += bpf_core_field_size(info->timestamp) * 100;      /* 8 */
    return (int)result;
}

char LICENSE[] SEC("license") = "GPL";
