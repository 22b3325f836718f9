// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* Counting sink: counts every frame per CPU, recognises test frames by their stamp (current trial only), checks
 * the family and the IPv4 header checksum in BPF, tracks reordering per (CPU, stream), fills a latency histogram
 * from the stamp's transmit time, and copies one frame in `sample_every` to a ring buffer so userspace can
 * validate it completely (addresses, L4 checksum). Test frames are dropped; other frames (ARP, ND, ...) are
 * passed to the stack when pass_other is set so the receiving host stays reachable.
 *
 * Two entry points share the work and the maps: bench_sink runs as the interface's XDP program, bench_sink_tc at
 * its tc (tcx) ingress. On veth the receiver runs in the transmitter's context, and an XDP program there copies
 * every frame that arrives as an skb with a kmalloc'ed head (an AF_XDP copy-mode or tun transmitter) into a fresh
 * page first; at tc ingress every transmitter's frames take the same skb path. */
#include "common.h"
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#define LAT_BUCKETS 256
#define SAMPLE_MAX 2048 /* power of two: the length mask below keeps the verifier's bounds */

struct counters {
	__u64 frames;
	__u64 bytes;
	__u64 ipv4;
	__u64 ipv6;
	__u64 stamped; /* test frames of the current trial */
	__u64 stamped_bytes;
	__u64 stale; /* test frames of another trial */
	__u64 wrong_family;
	__u64 bad_ip_csum;
	__u64 reordered;
	__u64 lat_count;
	__u64 lat_sum;
	__u64 lat_min;
	__u64 lat_max;
	__u64 sampled;
	__u64 sample_lost;
	__u64 merged; /* tc: skbs that GRO built from several frames (each frame is counted in frames) */
	__u32 max_seq[MAX_STREAMS];
	__u8 seen[MAX_STREAMS];
	__u64 lat_hist[LAT_BUCKETS];
};

struct sample {
	__u64 rx_ns;
	__u32 len;
	__u32 cpu;
	__u8 data[SAMPLE_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} samples SEC(".maps");

__u32 trial = 0;
__u32 expect_family = 0; /* 4, 6 or 0 for any */
__u32 sample_every = 0;	 /* 0: no samples */
__u32 pass_other = 1;

/* Histogram bucket: 4 sub-buckets per power of two of the latency in ns (b = 4*log2 + next two bits). */
static __always_inline __u32 lat_bucket(__u64 v)
{
	if (v < 4)
		return (__u32)v;
	__u32 lg = 0;
	__u64 x = v;
	if (x >> 32) { x >>= 32; lg += 32; }
	if (x >> 16) { x >>= 16; lg += 16; }
	if (x >> 8) { x >>= 8; lg += 8; }
	if (x >> 4) { x >>= 4; lg += 4; }
	if (x >> 2) { x >>= 2; lg += 2; }
	if (x >> 1) { lg += 1; }
	__u32 b = lg * 4 + (__u32)((v >> (lg - 2)) & 3);
	return b < LAT_BUCKETS ? b : LAT_BUCKETS - 1;
}

static __always_inline int ip4_csum_ok(void *ip, void *end)
{
	__u32 sum = 0;
#pragma unroll
	for (int i = 0; i < 10; i++) {
		if (ip + i * 2 + 2 > end)
			return 0;
		sum += *(__u16 *)(ip + i * 2);
	}
	return csum_fold(sum) == 0xffff;
}

enum sink_verdict { SINK_DROP, SINK_PASS, SINK_ABORT };

/* sink_frame counts one received unit: len bytes (segs frames when GRO merged them) whose head is data..end. is_xdp
 * selects the helper that copies samples; the function is inlined with a constant, so the other branch folds away. */
static __always_inline int sink_frame(void *ctx, const int is_xdp, void *data, void *end, __u64 len, __u32 segs)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&counters, &zero);
	if (!c)
		return SINK_ABORT;
	c->frames += segs;
	c->bytes += len;
	if (segs > 1)
		c->merged++;

	if (sample_every && (c->frames % sample_every) < segs) {
		struct sample *s = bpf_ringbuf_reserve(&samples, sizeof(*s), 0);
		if (s) {
			__u32 n = len > SAMPLE_MAX ? SAMPLE_MAX : (__u32)len;
			n = ((n - 1) & (SAMPLE_MAX - 1)) + 1; /* identity on [1, SAMPLE_MAX] */
			s->rx_ns = bpf_ktime_get_ns();
			s->len = n;
			s->cpu = bpf_get_smp_processor_id();
			long err = is_xdp ? bpf_xdp_load_bytes(ctx, 0, s->data, n) : bpf_skb_load_bytes(ctx, 0, s->data, n);
			if (err == 0) {
				bpf_ringbuf_submit(s, 0);
				c->sampled++;
			} else {
				bpf_ringbuf_discard(s, 0);
			}
		} else {
			c->sample_lost++;
		}
	}

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		goto other;
	__u16 proto = eth->h_proto;
	void *l3 = eth + 1;
	__u32 family = 0, l4proto = 0;
	void *l4;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end)
			goto other;
		c->ipv4++;
		__u32 ihl = ip->ihl * 4;
		if (ihl < 20 || ip->frag_off & bpf_htons(0x3fff))
			goto other;
		l4 = l3 + (ihl & 0x3c);
		l4proto = ip->protocol;
		family = 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			goto other;
		c->ipv6++;
		l4 = ip6 + 1;
		l4proto = ip6->nexthdr;
		family = 6;
	} else {
		goto other;
	}

	__u32 hl;
	if (l4proto == IPPROTO_UDP || l4proto == IPPROTO_ICMP || l4proto == IPPROTO_ICMPV6) {
		hl = 8;
	} else if (l4proto == IPPROTO_TCP) {
		if (l4 + 13 > end)
			goto other;
		hl = ((*(__u8 *)(l4 + 12)) >> 4) * 4;
		if (hl < 20)
			goto other;
	} else {
		goto other;
	}
	__u8 *s = l4 + (hl & 0x3c);
	if ((void *)(s + STAMP_LEN) > end || s[0] != STAMP_MAGIC0 || s[1] != STAMP_MAGIC1)
		goto other;
	if (s[2] != (__u8)trial) {
		c->stale += segs;
		return SINK_DROP;
	}
	c->stamped += segs;
	c->stamped_bytes += len;
	if (expect_family && family != expect_family)
		c->wrong_family++;
	if (family == 4 && !ip4_csum_ok(l3, end))
		c->bad_ip_csum++;

	__u32 stream = s[3];
	__u32 seq = bpf_ntohl(*(__u32 *)(s + 4));
	if (stream < MAX_STREAMS) {
		if (c->seen[stream] && seq < c->max_seq[stream])
			c->reordered++;
		else
			c->max_seq[stream] = seq;
		c->seen[stream] = 1;
	}

	__u64 ts = ((__u64)bpf_ntohl(*(__u32 *)(s + 8)) << 32) | bpf_ntohl(*(__u32 *)(s + 12));
	if (ts) {
		__u64 now = bpf_ktime_get_ns();
		__u64 lat = now > ts ? now - ts : 0;
		c->lat_count++;
		c->lat_sum += lat;
		if (c->lat_min == 0 || lat < c->lat_min)
			c->lat_min = lat;
		if (lat > c->lat_max)
			c->lat_max = lat;
		__u32 b = lat_bucket(lat);
		if (b < LAT_BUCKETS)
			c->lat_hist[b]++;
	}
	return SINK_DROP;

other:
	return pass_other ? SINK_PASS : SINK_DROP;
}

SEC("xdp")
int bench_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	switch (sink_frame(ctx, 1, data, end, end - data, 1)) {
	case SINK_DROP:
		return XDP_DROP;
	case SINK_PASS:
		return XDP_PASS;
	default:
		return XDP_ABORTED;
	}
}

/* The headers the sink reads: Ethernet, IPv6 or IPv4 with options, TCP with options, the stamp. */
#define SINK_HEAD (14 + 60 + 60 + STAMP_LEN)

SEC("tc")
int bench_sink_tc(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	if ((long)skb->data_end - (long)skb->data < len && (long)skb->data_end - (long)skb->data < SINK_HEAD)
		bpf_skb_pull_data(skb, len < SINK_HEAD ? len : SINK_HEAD); /* on failure the checks below see less */
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 segs = skb->gso_segs;
	switch (sink_frame(skb, 0, data, end, len, segs > 1 ? segs : 1)) {
	case SINK_PASS:
		return TC_ACT_OK;
	default:
		return TC_ACT_SHOT;
	}
}

char __license[] SEC("license") = "Dual MIT/GPL";
