/* Shared definitions of the benchmark XDP programs (generator, sink, forwarder).
 * The Go side mirrors these layouts in bench/xdpprog/layout.go; keep both in step. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_CPUS 256
#define MAX_STREAMS 64

/* The test stamp carried at the start of the L4 payload:
 *   0: magic (0x51 0x17)   2: trial id   3: stream id (generator CPU)
 *   4: sequence number (u32, big endian)  8: transmit time (u64 ns, CLOCK_MONOTONIC, big endian; 0 if off) */
#define STAMP_LEN 16
#define STAMP_MAGIC0 0x51
#define STAMP_MAGIC1 0x17

static __always_inline __u32 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

#endif
