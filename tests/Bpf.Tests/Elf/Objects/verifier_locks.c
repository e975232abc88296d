// Spin lock programs for the verifier's tests, each safe or unsafe in one way the kernel's verifier
// also judges; tests compare verdicts with the kernel and check the diagnostic's line (UNSAFE).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counter {
    __u64 count;
    struct bpf_spin_lock lock;
    __u32 other;
};

struct plain {
    __u64 count;
    __u32 lock;
    __u32 other;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct counter);
} counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct plain);
} plains SEC(".maps");

struct bpf_iter_num {
    __u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

static __noinline __u64 next_count(__u64 count)
{
    return count + 1;
}

static __noinline void take(struct counter *c)
{
    bpf_spin_lock(&c->lock);
}

#define COUNTER(name, k)                                          \
    __u32 name##_key = k;                                         \
    struct counter *name = bpf_map_lookup_elem(&counters, &name##_key); \
    if (!name)                                                    \
        return XDP_PASS;

SEC("xdp")
int safe_lock(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    bpf_spin_lock(&c->lock);
    c->count++;
    c->other = 1;
    bpf_spin_unlock(&c->lock);
    return XDP_PASS;
}

SEC("xdp")
int static_call_locked(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    bpf_spin_lock(&c->lock);
    c->count = next_count(c->count);
    bpf_spin_unlock(&c->lock);
    return XDP_PASS;
}

SEC("xdp")
int lock_in_function(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    take(c);
    c->count++;
    bpf_spin_unlock(&c->lock);
    return XDP_PASS;
}

SEC("xdp")
int iterator_locked(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    struct bpf_iter_num it;
    bpf_spin_lock(&c->lock);
    bpf_iter_num_new(&it, 0, 3);
    bpf_iter_num_destroy(&it);
    bpf_spin_unlock(&c->lock);
    return XDP_PASS;
}

SEC("xdp")
int nested_lock(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    COUNTER(d, 1);
    bpf_spin_lock(&c->lock);
    bpf_spin_lock(&d->lock); /* UNSAFE: a second lock */
    bpf_spin_unlock(&d->lock);
    bpf_spin_unlock(&c->lock);
    return XDP_PASS;
}

SEC("xdp")
int missing_unlock(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    bpf_spin_lock(&c->lock); /* UNSAFE: never unlocked */
    c->count++;
    return XDP_PASS;
}

SEC("xdp")
int helper_locked(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    bpf_spin_lock(&c->lock);
    c->count = bpf_ktime_get_ns(); /* UNSAFE: a helper call under the lock */
    bpf_spin_unlock(&c->lock);
    return XDP_PASS;
}

SEC("xdp")
int unlock_unlocked(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    bpf_spin_unlock(&c->lock); /* UNSAFE: not locked */
    return XDP_PASS;
}

SEC("xdp")
int unlock_other(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    COUNTER(d, 1);
    bpf_spin_lock(&c->lock);
    bpf_spin_unlock(&d->lock); /* UNSAFE: another value's lock */
    return XDP_PASS;
}

SEC("xdp")
int read_lock_word(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    return *(volatile __u32 *)&c->lock ? XDP_DROP : XDP_PASS; /* UNSAFE: the lock read directly */
}

SEC("xdp")
int lock_without_lock(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct plain *p = bpf_map_lookup_elem(&plains, &key);
    if (!p)
        return XDP_PASS;
    bpf_spin_lock((struct bpf_spin_lock *)&p->lock); /* UNSAFE: the value has no bpf_spin_lock */
    bpf_spin_unlock((struct bpf_spin_lock *)&p->lock);
    return XDP_PASS;
}

SEC("xdp")
int lock_wrong_field(struct xdp_md *ctx)
{
    COUNTER(c, 0);
    bpf_spin_lock((struct bpf_spin_lock *)&c->other); /* UNSAFE: not the lock's offset */
    bpf_spin_unlock((struct bpf_spin_lock *)&c->other);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
