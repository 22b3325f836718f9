#!/usr/bin/env bash
# Runs every Fuzz* target in the module for FUZZTIME (default 8s) each.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-8s}"
# Bound the minimisation of newly found inputs: Go's default (60s) can outlast
# a short run, which then ends with "context deadline exceeded".
FUZZMINTIME="${FUZZMINTIME:-1s}"
status=0
while IFS= read -r file; do
	dir="./$(dirname "$file")"
	for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
		echo "fuzz $dir $target ($FUZZTIME)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINTIME" "$dir"; then
			status=1
		fi
	done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' 2>/dev/null || true)
exit $status
