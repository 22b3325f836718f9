#!/usr/bin/env bash
# `make demo`: builds a lab in network namespaces (IPv6-only client, siit,
# IPv4-only server; documentation addresses), runs `siit run`, shows real
# traffic translated both ways, prints the counters and cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
SIIT="${SIIT_BIN:-$PWD/bin/siit}" # the binary `make demo` built, or SIIT_BIN (the e2e test passes its own)
P="siit-demo-$$"
C="$P-c6" T="$P-tr" S="$P-s4"
SOCK="/tmp/$P.sock"
LOG="/tmp/$P.log"
WWW="$(mktemp -d)"
siit_pid=""

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
cleanup() {
	set +e
	[ -n "$siit_pid" ] && kill -TERM "$siit_pid" 2>/dev/null && wait "$siit_pid" 2>/dev/null
	ip netns pids "$S" 2>/dev/null | xargs -r kill 2>/dev/null
	tools/lab.sh down "$P"
	rm -rf "$WWW" "$SOCK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces, XDP)"; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

# The lab's tools, installed on a fresh Debian machine if missing.
. tools/need.sh
need_tools "make demo" ip:iproute2 ethtool:ethtool curl:curl traceroute:traceroute ping:iputils-ping python3:python3

say "Lab: $C (2001:db8:6::10) <-> $T (siit) <-> $S (198.51.100.10, .20)"
tools/lab.sh up "$P"

say "Start siit: pool6 64:ff9b::/96, EAMT 2001:db8:6::/120=192.0.2.0/24 and 2001:db8:46::20=198.51.100.20"
ip netns exec "$T" "$SIIT" run --socket "$SOCK" --pool6 64:ff9b::/96 \
	--eamt 2001:db8:6::/120,192.0.2.0/24 --eamt 2001:db8:46::20/128,198.51.100.20/32 t6 t4 >"$LOG" 2>&1 &
siit_pid=$!
for _ in $(seq 50); do SIIT_SOCKET="$SOCK" "$SIIT" instance status >/dev/null 2>&1 && break; sleep 0.1; done
sed 's/^/    /' "$LOG"
export SIIT_SOCKET="$SOCK"
run "$SIIT" eamt display

say "ICMP echo 6->4 through pool6 (64:ff9b::198.51.100.10) and through an EAM (2001:db8:46::20)"
run ip netns exec "$C" ping -c 3 -i 0.2 64:ff9b::198.51.100.10
run ip netns exec "$C" ping -c 3 -i 0.2 2001:db8:46::20

say "ICMP echo 4->6: the IPv4 server pings the client's EAM address 192.0.2.16"
run ip netns exec "$S" ping -c 3 -i 0.2 192.0.2.16

say "TCP: HTTP from the IPv6-only client to the IPv4-only server"
echo "hello from the IPv4-only server" >"$WWW/index.html"
ip netns exec "$S" python3 -m http.server 80 --bind 0.0.0.0 --directory "$WWW" >"$WWW/http.log" 2>&1 &
for _ in $(seq 50); do ip netns exec "$S" ss -ltn 2>/dev/null | grep -q ':80 ' && break; sleep 0.1; done
run ip netns exec "$C" curl -sS -m 5 "http://[64:ff9b::198.51.100.10]/"
run ip netns exec "$C" curl -sS -m 5 "http://[2001:db8:46::20]/"
echo "server log (the client appears as its EAM address 192.0.2.16):"
sed 's/^/    /' "$WWW/http.log" | grep GET || true

say "traceroute through the translator (hop 1 is siit's ICMPv6 Time Exceeded)"
run ip netns exec "$C" traceroute -6 -n -q 1 -w 1 -m 4 64:ff9b::198.51.100.10

say "Packet rate: 3 s of 84-byte IPv6 UDP frames (64-byte IPv4 after translation) from the client through siit"
if "$SIIT" bench gen --help >/dev/null 2>&1; then
	before=$(ip netns exec "$S" cat /sys/class/net/s4/statistics/rx_packets)
	"$SIIT" bench gen -netns "$C" -i c6 -dst-mac 02:00:00:00:06:01 -src 2001:db8:6::10 \
		-dst 64:ff9b::198.51.100.10 -size 84 -duration 3s 2>&1 | sed 's/^/    /' || true
	after=$(ip netns exec "$S" cat /sys/class/net/s4/statistics/rx_packets)
	echo "    translated IPv4 frames received by the server: $((after - before)) ($(((after - before) / 3)) pps)"
else
	echo "    (siit bench is not built in; flood ping instead)"
	ip netns exec "$C" ping -f -c 20000 -q 64:ff9b::198.51.100.10 | sed 's/^/    /'
fi

say "Counters (jool_siit stats display)"
run "$SIIT" stats display
run "$SIIT" address query 64:ff9b::198.51.100.10
say "Done; cleaning up"
