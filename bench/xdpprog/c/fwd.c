// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* Plain XDP redirect forwarder, the upper bound of the veth lab: frames arriving on an interface with a rule are
 * given the rule's MAC addresses and redirected to its output interface, nothing else is touched (no TTL, no
 * lookup). Frames without a rule go to the stack. */
#include "common.h"

struct rule {
	__u32 out_ifindex;
	__u8 src[ETH_ALEN];
	__u8 dst[ETH_ALEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32); /* ingress ifindex */
	__type(value, struct rule);
} rules SEC(".maps");

SEC("xdp")
int bench_fwd(struct xdp_md *ctx)
{
	__u32 in = ctx->ingress_ifindex;
	struct rule *r = bpf_map_lookup_elem(&rules, &in);
	if (!r)
		return XDP_PASS;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, r->dst, ETH_ALEN);
	__builtin_memcpy(eth->h_source, r->src, ETH_ALEN);
	return bpf_redirect(r->out_ifindex, 0);
}

char __license[] SEC("license") = "Dual MIT/GPL";
