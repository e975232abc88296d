// bpf_printk (bpf_trace_printk with a format string in .rodata.str1.1) from a raw program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("bpfjit/raw")
int say_length(const __u8 *data, __u64 length)
{
    bpf_printk("length=%d first=%x", (int)length, length > 0 ? data[0] : 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
