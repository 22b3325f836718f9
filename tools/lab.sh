#!/usr/bin/env bash
# Builds (up) or removes (down) the siit lab in network namespaces:
#
#   [c6: IPv6-only client] veth c6 --- t6 [tr: translator] t4 --- veth s4 [s4: IPv4-only server]
#   2001:db8:6::10/64                2001:db8:6::1/64  198.51.100.1/24           198.51.100.10/24
#                                                                               198.51.100.20/24 (EAM)
# pool6 64:ff9b::/96: the client reaches 198.51.100.10 as 64:ff9b::c633:640a.
# EAMT  2001:db8:6::/120 <-> 192.0.2.0/24: the client 2001:db8:6::10 is 192.0.2.16 to IPv4.
# EAMT  2001:db8:46::20/128 <-> 198.51.100.20/32: the second server address, through an EAM.
# Usage: tools/lab.sh up|down [PREFIX]   (PREFIX names the namespaces; default siit-lab)
set -euo pipefail
cmd="${1:-up}"
P="${2:-siit-lab}"
C="$P-c6" T="$P-tr" S="$P-s4"

down() {
	for ns in "$C" "$T" "$S"; do ip netns del "$ns" 2>/dev/null || true; done
}

up() {
	down
	for ns in "$C" "$T" "$S"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
	ip -n "$C" link add c6 type veth peer name t6 netns "$T"
	ip -n "$S" link add s4 type veth peer name t4 netns "$T"
	ip -n "$C" link set c6 address 02:00:00:00:06:10
	ip -n "$T" link set t6 address 02:00:00:00:06:01
	ip -n "$T" link set t4 address 02:00:00:00:04:01
	ip -n "$S" link set s4 address 02:00:00:00:04:10
	# The far ends run XDP_PASS-less kernels; veths only receive XDP_TX /
	# redirected frames when GRO is on or the peer has an XDP program.
	ip netns exec "$C" ethtool -K c6 gro on >/dev/null 2>&1 || true
	ip netns exec "$S" ethtool -K s4 gro on >/dev/null 2>&1 || true
	# Locally generated packets on veth carry partial checksums (TX offload);
	# AF_XDP hands frames over as they are, so the end hosts must compute
	# full checksums, as a real NIC on a wire would deliver them.
	ip netns exec "$C" ethtool -K c6 tx off >/dev/null 2>&1 || true
	ip netns exec "$S" ethtool -K s4 tx off >/dev/null 2>&1 || true
	ip netns exec "$C" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.c6.accept_dad=0
	ip netns exec "$T" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.t6.accept_dad=0 net.ipv6.conf.t4.accept_dad=0
	ip netns exec "$T" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
	ip -n "$C" addr add 2001:db8:6::10/64 dev c6 nodad
	ip -n "$T" addr add 2001:db8:6::1/64 dev t6 nodad
	ip -n "$T" addr add 198.51.100.1/24 dev t4
	ip -n "$S" addr add 198.51.100.10/24 dev s4
	ip -n "$S" addr add 198.51.100.20/24 dev s4
	for l in "$C c6" "$T t6" "$T t4" "$S s4"; do set -- $l; ip -n "$1" link set "$2" up; done
	ip -n "$C" -6 route add default via 2001:db8:6::1
	ip -n "$S" route add default via 198.51.100.1
	# The translator routes what it translates: IPv4 destinations are on t4,
	# IPv6 destinations on t6 (already connected routes).
}

case "$cmd" in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down [PREFIX]" >&2; exit 2 ;;
esac
