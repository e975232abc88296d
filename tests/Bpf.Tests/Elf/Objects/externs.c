// clang-flags: -fno-builtin
// Calls of undefined functions: a helper declared by name (resolved to its number), and memcpy,
// memset, memmove and memcmp as real calls (built with -fno-builtin so clang does not expand
// them), resolved to built-in kfuncs.
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

extern __u64 bpf_get_prandom_u32(void);   /* a helper by name, not by number */
extern void *memcpy(void *dst, const void *src, unsigned long n);
extern void *memset(void *dst, int c, unsigned long n);
extern void *memmove(void *dst, const void *src, unsigned long n);
extern int memcmp(const void *a, const void *b, unsigned long n);

SEC("bpfjit/raw")
int copy_and_compare(__u8 *data, __u64 length)   /* needs at least 16 bytes */
{
    __u8 buffer[16];
    if (length < 16)
        return -1;
    unsigned long n = length & 15;
    memset(buffer, 0xaa, 16);
    memcpy(buffer, data, n);
    memmove(data + 1, data, n);
    int same = memcmp(buffer, data + 1, n) == 0;
    return same * 1000 + buffer[15] + (int)(bpf_get_prandom_u32() & 0);
}

char LICENSE[] SEC("license") = "GPL";
