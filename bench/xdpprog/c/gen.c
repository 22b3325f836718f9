// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* Traffic generator run with BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES.
 *
 * Every run rewrites the head of the frame from a template (the kernel recycles the pages of live frames, and
 * receivers such as a forwarding DUT modify headers in place), varies the flow (source port / echo id and
 * optionally the last source address octet) by the per-CPU sequence number, writes the test stamp and patches the
 * checksums from precomputed partial sums. Each generator thread is pinned to one CPU and owns cpu_state[cpu]:
 * the program stops sending (XDP_DROP, which only recycles the page) once `sent` reaches `limit`, so a caller
 * gets an exact frame count even when the syscall is interrupted and restarted, and it paces itself to one frame
 * per `interval`, so a single long BPF_PROG_RUN call (each call costs milliseconds of set-up) sends at an even
 * rate; the caller ends the call with a signal.
 *
 * A template may leave through another device than the one the run is on (its `port`, a key of tx_ports, a devmap
 * that may hold devices of other namespaces) and may be shorter than the run's frames (`trim` bytes are cut off
 * the tail). So one thread can send both legs of a bidirectional test, alternating templates, with the 20-byte
 * difference between its IPv6 and IPv4 frames. */
#include "common.h"

#define TMPL_BYTES 128
#define MAX_TMPLS 64

#define TF_VARY_PORT 0x1 /* write base_port+flow at port_off */
#define TF_VARY_ADDR 0x2 /* write addr_base+flow%addr_span at addr_off */
#define TF_STAMP 0x4	 /* write the test stamp at stamp_off */
#define TF_TS 0x8	 /* put the transmit time in the stamp */
#define TF_L4_ADDR 0x10	 /* the varied address word is part of the L4 pseudo header */
#define TF_UDP 0x20	 /* a computed L4 checksum of 0 is sent as 0xffff */
#define TF_L4_CSUM 0x40	 /* patch the L4 checksum at l4_csum_off */
#define TF_IP_CSUM 0x80	 /* patch the IPv4 header checksum at ip_csum_off */

struct tmpl {
	__u32 len; /* bytes of data[] copied into the frame, multiple of 4 */
	__u32 flags;
	__u16 port_off;
	__u16 addr_off;
	__u16 l4_csum_off;
	__u16 ip_csum_off;
	__u16 stamp_off;
	__u16 base_port;
	__u32 l4_base; /* folded ones' complement sum (native words) with varied fields and checksum zero */
	__u32 ip_base;
	__u8 addr_base;
	__u8 port; /* 0: XDP_TX out of the run's device; k: redirect to tx_ports[k] */
	__u16 trim; /* bytes cut off the tail of the run's frame */
	__u8 data[TMPL_BYTES];
};

struct cpu_state {
	__u64 sent;
	__u64 limit;
	__u64 interval; /* pacing: time between frames in 1/256 ns; 0: full speed */
	__u64 next;	/* pacing: earliest time of the next frame in 1/256 ns; 0: now */
	__u64 pad[4];	/* one cache line per CPU */
};

/* A paced sender that fell behind (preempted) by more than this restarts its schedule instead of bursting. */
#define PACE_SLACK (1000000ULL << 8)

__u32 ntmpl = 1;
__u32 nflows = 1;
__u32 addr_span = 1;
__u32 trial = 0;
struct tmpl tmpls[MAX_TMPLS];

/* Mapped by userspace: the owning thread sets `limit` between runs and reads `sent`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cpu_state);
} cpu_state SEC(".maps");

/* Keys 1..3 are ports (Go's MaxPorts); a template with port 0 leaves by XDP_TX and needs no slot. */
#define TX_PORT_SLOTS 4

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, TX_PORT_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

#define OFF_OK(data, end, off, n) ((data) + (off) + (n) <= (end))

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct cpu_state *st = bpf_map_lookup_elem(&cpu_state, &cpu);
	if (!st)
		return XDP_ABORTED;
	__u64 seq = st->sent;
	if (seq >= st->limit)
		return XDP_DROP;
	if (st->interval) {
		__u64 now = bpf_ktime_get_ns() << 8;
		__u64 next = st->next;
		if (next == 0 || now > next + PACE_SLACK)
			next = now;
		if (now < next)
			return XDP_DROP; /* not yet: the page is recycled and the loop tries again */
		st->next = next + st->interval;
	}
	st->sent = seq + 1;

	__u32 n = ntmpl;
	if (n == 0 || n > MAX_TMPLS)
		return XDP_ABORTED;
	__u32 idx = (__u32)seq % n;
	asm volatile("" : "+r"(idx)); /* keep the mask below: the verifier cannot bound a modulo */
	idx &= MAX_TMPLS - 1;
	struct tmpl *t = &tmpls[idx];

	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 len = t->len;
#pragma unroll
	for (int i = 0; i < TMPL_BYTES / 4; i++) {
		if (i * 4 >= len)
			break;
		if (!OFF_OK(data, end, i * 4, 4))
			break;
		((__u32 *)data)[i] = ((__u32 *)t->data)[i];
	}

	__u32 flags = t->flags;
	__u32 nf = nflows ? nflows : 1;
	__u32 flow = (__u32)seq / n % nf; /* every template (leg) goes through all the flows */
	__u32 l4 = t->l4_base;
	__u32 ip = t->ip_base;

	if (flags & TF_VARY_PORT) {
		__u32 off = t->port_off & 0x7f;
		if (!OFF_OK(data, end, off, 2))
			return XDP_ABORTED;
		*(__u16 *)(data + off) = bpf_htons((__u16)(t->base_port + flow));
		l4 += *(__u16 *)(data + off);
	}
	if (flags & TF_VARY_ADDR) {
		__u32 off = t->addr_off & 0x7f;
		__u32 span = addr_span ? addr_span : 1;
		if (!OFF_OK(data, end, off, 1) || off == 0)
			return XDP_ABORTED;
		*(__u8 *)(data + off) = (__u8)(t->addr_base + flow % span);
		__u32 woff = (off & ~1U) & 0x7f;
		if (!OFF_OK(data, end, woff, 2))
			return XDP_ABORTED;
		__u16 w = *(__u16 *)(data + woff);
		ip += w;
		if (flags & TF_L4_ADDR)
			l4 += w;
	}
	if (flags & TF_STAMP) {
		__u32 off = t->stamp_off & 0x7f;
		if (!OFF_OK(data, end, off, STAMP_LEN))
			return XDP_ABORTED;
		__u8 *s = data + off;
		s[0] = STAMP_MAGIC0;
		s[1] = STAMP_MAGIC1;
		s[2] = (__u8)trial;
		s[3] = (__u8)cpu;
		*(__u32 *)(s + 4) = bpf_htonl((__u32)seq);
		__u64 ts = 0;
		if (flags & TF_TS)
			ts = bpf_ktime_get_ns();
		*(__u32 *)(s + 8) = bpf_htonl((__u32)(ts >> 32));
		*(__u32 *)(s + 12) = bpf_htonl((__u32)ts);
#pragma unroll
		for (int i = 0; i < STAMP_LEN; i += 2)
			l4 += *(__u16 *)(s + i);
	}
	if (flags & TF_L4_CSUM) {
		__u32 off = t->l4_csum_off & 0x7f;
		if (!OFF_OK(data, end, off, 2))
			return XDP_ABORTED;
		__u16 c = ~csum_fold(l4);
		if (c == 0 && (flags & TF_UDP))
			c = 0xffff;
		*(__u16 *)(data + off) = c;
	}
	if (flags & TF_IP_CSUM) {
		__u32 off = t->ip_csum_off & 0x7f;
		if (!OFF_OK(data, end, off, 2))
			return XDP_ABORTED;
		*(__u16 *)(data + off) = ~csum_fold(ip);
	}

	if (t->trim && bpf_xdp_adjust_tail(ctx, -(int)t->trim))
		return XDP_ABORTED;
	if (t->port)
		return bpf_redirect_map(&tx_ports, t->port, 0);
	return XDP_TX;
}

char __license[] SEC("license") = "Dual MIT/GPL";
