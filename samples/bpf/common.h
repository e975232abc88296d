/* Shared by the samples: the kernel's uapi types, libbpf's helper declarations, and the few
 * definitions Debian 12's headers (Linux 6.1) lack. */
#ifndef BPFJIT_SAMPLES_COMMON_H
#define BPFJIT_SAMPLES_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef BPF_MAP_TYPE_ARENA
#define BPF_MAP_TYPE_ARENA 33
#endif

/* Open-coded iterators (kernel 6.4+): the kfuncs behind bpf_for(). */
struct bpf_iter_num {
    __u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

#endif
