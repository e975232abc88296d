// Loops the verifier can bound: bpf_loop with a callback, and an open-coded iterator (the
// bpf_iter_num kfuncs behind bpf_for). Both sum over the input memory of a raw program
// (r1 = data, r2 = length), which a section name libbpf does not know gives.
#include "common.h"

struct sum_state {
    const __u8 *data;
    __u64 length;
    __u64 sum;
};

static long add_byte(__u64 index, struct sum_state *state)
{
    if (index >= state->length)
        return 1; /* stop */
    state->sum += state->data[index & 0xfff];
    return 0;
}

/* Sum of the bytes with bpf_loop, at most 4096 of them. */
SEC("bpfjit/raw")
int sum_bytes_with_bpf_loop(const __u8 *data, __u64 length)
{
    struct sum_state state = { .data = data, .length = length, .sum = 0 };
    long iterations = bpf_loop(4096, add_byte, &state, 0);
    if (iterations < 0)
        return -1;
    return (int)state.sum;
}

/* Sum of the squares of 0..n-1 with an open-coded iterator, n the first input byte. */
SEC("bpfjit/raw")
int sum_of_squares_with_iterator(const __u8 *data, __u64 length)
{
    struct bpf_iter_num it;
    int *i, sum = 0;
    int n = length > 0 ? data[0] : 0;

    bpf_iter_num_new(&it, 0, n);
    while ((i = bpf_iter_num_next(&it)))
        sum += *i * *i;
    bpf_iter_num_destroy(&it);
    return sum;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
