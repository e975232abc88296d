// BPF-to-BPF calls: global and static subprograms in .text, a chain of calls, a subprogram two
// programs share, and a static function inside a program section. The raw-memory programs take
// (data, length) and return values the tests compute independently.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__attribute__((noinline)) int square(int x)          /* global: called through its symbol */
{
    return x * x;
}

static __attribute__((noinline)) int add3(int a, int b, int c)   /* static: through .text + offset */
{
    return a + b + c;
}

static __attribute__((noinline)) int sum_of_squares(int a, int b) /* calls another subprogram */
{
    return add3(square(a), square(b), 0);
}

SEC("bpfjit/raw")
int pythagoras(const __u8 *data, __u64 length)   /* data[0]^2 + data[1]^2 */
{
    if (length < 2)
        return -1;
    return sum_of_squares(data[0], data[1]);
}

SEC("bpfjit/raw")
int cube_plus_ten(const __u8 *data, __u64 length)   /* data[0]^3 + 10: shares square and add3 */
{
    if (length < 1)
        return -1;
    int x = data[0];
    return add3(square(x) * x, 4, 6);
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x060100;
