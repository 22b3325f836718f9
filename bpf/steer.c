// XDP steering program for siit: decides, per received frame, whether it goes to
// the AF_XDP socket of its RX queue (the translator) or to the kernel (XDP_PASS).
// It makes no translation decision beyond that. See doc.go for the contract.
//
// Every frame increments exactly one counter in `stats`; the order of the
// checks below is the contract that bpf/model_test.go mirrors in Go.

//go:build ignore

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// Counter indexes; keep in step with the stat* constants in stats.go.
enum stat {
	STAT_REDIRECTED4 = 0,  // IPv4 sent to the queue's AF_XDP socket
	STAT_REDIRECTED6,      // IPv6 sent to the queue's AF_XDP socket
	STAT_NO_SOCKET4,       // IPv4 to steer, but no socket on this queue: passed
	STAT_NO_SOCKET6,       // IPv6 to steer, but no socket on this queue: passed
	STAT_PASSED,           // IP whose destination is in no prefix set
	STAT_PASSED_LOCAL,     // destination is one of the host's addresses
	STAT_PASSED_VLAN,      // VLAN-tagged and VLAN steering is off (or > 2 tags)
	STAT_PASSED_DISABLED,  // steering switched off
	STAT_PASSED_NONIP,     // ARP, LLDP, any other EtherType
	STAT_PASSED_SPECIAL,   // multicast, broadcast, link-local, loopback, unspecified
	STAT_PASSED_NDP,       // ICMPv6 ND / MLD / other link-scope ICMPv6
	STAT_PASSED_MALFORMED, // truncated or inconsistent headers
	STAT_MAX,
};

#define ETH_P_IP_BE bpf_htons(0x0800)
#define ETH_P_IPV6_BE bpf_htons(0x86DD)
#define ETH_P_8021Q_BE bpf_htons(0x8100)
#define ETH_P_8021AD_BE bpf_htons(0x88A8)
#define ETH_P_QINQ1_BE bpf_htons(0x9100) // pre-standard QinQ, seen in the wild
#define MAX_VLAN_TAGS 2
#define IPPROTO_ICMPV6_NR 58

struct eth_hdr {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
} __attribute__((packed));

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
} __attribute__((packed));

struct ipv4_hdr {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 proto;
	__be16 check;
	__u8 saddr[4];
	__u8 daddr[4];
} __attribute__((packed));

struct ipv6_hdr {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
} __attribute__((packed));

// LPM trie keys: prefix length in bits, then the address in network order.
struct lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct addr6 {
	__u8 addr[16];
};

// Value of config[0]. Non-zero means on.
struct config {
	__u32 enabled;
	__u32 steer_vlan;
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256); // raised by the loader (Options.MaxQueues)
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1 << 20);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4_key);
	__type(value, __u32);
} prefixes4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1 << 20);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6_key);
	__type(value, __u32);
} prefixes6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32); // IPv4 address, network order bytes
	__type(value, __u32);
} local4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct addr6);
	__type(value, __u32);
} local6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1; // per-CPU slot: no other writer
}

static __always_inline int pass(__u32 idx)
{
	count(idx);
	return XDP_PASS;
}

// steer hands the frame to the AF_XDP socket registered for its RX queue. A
// queue without a socket makes bpf_redirect_map return the fallback XDP_PASS,
// so the kernel keeps the frame instead of it being dropped.
static __always_inline int steer(struct xdp_md *ctx, __u32 ok, __u32 nosock)
{
	long act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);

	if (act == XDP_REDIRECT) {
		count(ok);
		return XDP_REDIRECT;
	}
	count(nosock);
	return XDP_PASS;
}

static __always_inline int special4(const __u8 *d)
{
	// 0/8 this network, 127/8 loopback, 169.254/16 link-local,
	// 224/4 multicast, 240/4 reserved including 255.255.255.255.
	return d[0] == 0 || d[0] == 127 || d[0] >= 224 || (d[0] == 169 && d[1] == 254);
}

static __always_inline int classify4(struct xdp_md *ctx, void *l3, void *end)
{
	struct ipv4_hdr *ip = l3;
	__u32 ihl, tot;

	if ((void *)(ip + 1) > end)
		return pass(STAT_PASSED_MALFORMED);
	if ((ip->ver_ihl >> 4) != 4)
		return pass(STAT_PASSED_MALFORMED);
	ihl = (ip->ver_ihl & 0x0f) * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (ihl < sizeof(*ip) || tot < ihl || l3 + tot > end)
		return pass(STAT_PASSED_MALFORMED);
	if (special4(ip->daddr))
		return pass(STAT_PASSED_SPECIAL);

	__u32 dst;
	__builtin_memcpy(&dst, ip->daddr, 4);
	if (bpf_map_lookup_elem(&local4, &dst))
		return pass(STAT_PASSED_LOCAL);

	struct lpm4_key key = { .prefixlen = 32 };
	__builtin_memcpy(key.addr, ip->daddr, 4);
	if (bpf_map_lookup_elem(&prefixes4, &key))
		return steer(ctx, STAT_REDIRECTED4, STAT_NO_SOCKET4);
	return pass(STAT_PASSED);
}

static __always_inline int special6(const __u8 *d)
{
	if (d[0] == 0xff) // multicast
		return 1;
	if (d[0] == 0xfe && (d[1] & 0xc0) == 0x80) // fe80::/10 link-local
		return 1;
	// :: unspecified and ::1 loopback
	for (int i = 0; i < 15; i++)
		if (d[i])
			return 0;
	return d[15] <= 1;
}

// ndp6 reports whether an ICMPv6 type is link-scope signalling the kernel
// must see: MLD (130-132, 143), ND (133-137), inverse ND (141, 142), SEND
// (148, 149) and multicast router discovery (151-153).
static __always_inline int ndp6(__u8 type)
{
	return (type >= 130 && type <= 137) || type == 141 || type == 142 || type == 143 ||
	       type == 148 || type == 149 || (type >= 151 && type <= 153);
}

static __always_inline int classify6(struct xdp_md *ctx, void *l3, void *end)
{
	struct ipv6_hdr *ip = l3;

	if ((void *)(ip + 1) > end)
		return pass(STAT_PASSED_MALFORMED);
	if ((*(__u8 *)ip >> 4) != 6)
		return pass(STAT_PASSED_MALFORMED);
	__u32 plen = bpf_ntohs(ip->payload_len);
	if ((void *)(ip + 1) + plen > end)
		return pass(STAT_PASSED_MALFORMED);
	if (special6(ip->daddr))
		return pass(STAT_PASSED_SPECIAL);
	if (ip->nexthdr == IPPROTO_ICMPV6_NR) {
		__u8 *type = (void *)(ip + 1);

		// Shorter than the 4-byte ICMPv6 header: nothing to translate.
		if (plen < 4 || (void *)(type + 1) > end)
			return pass(STAT_PASSED_MALFORMED);
		if (ndp6(*type))
			return pass(STAT_PASSED_NDP);
	}

	struct addr6 dst;
	__builtin_memcpy(dst.addr, ip->daddr, 16);
	if (bpf_map_lookup_elem(&local6, &dst))
		return pass(STAT_PASSED_LOCAL);

	struct lpm6_key key = { .prefixlen = 128 };
	__builtin_memcpy(key.addr, ip->daddr, 16);
	if (bpf_map_lookup_elem(&prefixes6, &key))
		return steer(ctx, STAT_REDIRECTED6, STAT_NO_SOCKET6);
	return pass(STAT_PASSED);
}

static __always_inline int is_vlan(__be16 proto)
{
	return proto == ETH_P_8021Q_BE || proto == ETH_P_8021AD_BE || proto == ETH_P_QINQ1_BE;
}

SEC("xdp")
int xdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct config *cfg = bpf_map_lookup_elem(&config, &zero);

	if (!cfg || !cfg->enabled)
		return pass(STAT_PASSED_DISABLED);

	struct eth_hdr *eth = data;
	if ((void *)(eth + 1) > end)
		return pass(STAT_PASSED_MALFORMED);

	__be16 proto = eth->proto;
	void *cur = eth + 1;
	if (is_vlan(proto)) {
		if (!cfg->steer_vlan)
			return pass(STAT_PASSED_VLAN);
#pragma unroll
		for (int i = 0; i < MAX_VLAN_TAGS; i++) {
			struct vlan_hdr *vh = cur;

			if (!is_vlan(proto))
				break;
			if ((void *)(vh + 1) > end)
				return pass(STAT_PASSED_MALFORMED);
			proto = vh->proto;
			cur = vh + 1;
		}
		if (is_vlan(proto))
			return pass(STAT_PASSED_VLAN);
	}

	if (proto == ETH_P_IP_BE)
		return classify4(ctx, cur, end);
	if (proto == ETH_P_IPV6_BE)
		return classify6(ctx, cur, end);
	return pass(STAT_PASSED_NONIP);
}

char _license[] SEC("license") = "Dual MIT/GPL";
