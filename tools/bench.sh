#!/usr/bin/env bash
# Side-by-side lab benchmark: ./tools/bench.sh quick|full [extra `siit bench run` flags]
# Rewrites the bench sections of BENCHMARKS.md and the plots in bench/results/. Needs root.
# Prefers `bin/siit bench run` once the siit binary has the bench command; until then it builds the bench
# package's own small main (bench/cmd/benchmain). The siit rows use bin/siit when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
case "$mode" in
quick | full) shift || true ;;
*)
	echo "usage: $0 quick|full [flags]" >&2
	exit 2
	;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: the lab needs root (network namespaces, XDP)" >&2
	exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

# The lab's tools (TAYGA for its baseline row), installed on a fresh Debian machine if missing.
. tools/need.sh
need_tools bench ip:iproute2 ethtool:ethtool tayga:tayga

GO="${GO:-go}"
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go

if [ -x bin/siit ] && bin/siit bench help >/dev/null 2>&1; then
	runner=(bin/siit bench)
else
	mkdir -p bin
	"$GO" build -o bin/siit-benchmain ./bench/cmd/benchmain
	runner=(bin/siit-benchmain)
fi
exec "${runner[@]}" run "$mode" -siit bin/siit "$@"
