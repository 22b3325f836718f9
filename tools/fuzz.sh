#!/usr/bin/env bash
# Runs every Fuzz* target in the module for FUZZTIME each (default 10000x).
# Budgets are execution counts, not durations: with a wall-clock -fuzztime,
# Go 1.26's fuzz coordinator can report a spurious "context deadline
# exceeded" when the deadline races a busy worker (golang/go#75804).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-10000x}"
# Bound the minimisation of newly found inputs: Go's default (60s) can outlast
# a short run, which then ends with "context deadline exceeded".
FUZZMINTIME="${FUZZMINTIME:-1s}"
status=0
while IFS= read -r file; do
	dir="./$(dirname "$file")"
	for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
		budget="$FUZZTIME"
		# In the short run, the translator's own targets get 20x the budget:
		# they are fast and they guard the most exposed parser.
		if [ -z "${FUZZTIME_FIXED:-}" ] && [ "$dir" = "./xlat" ] && [[ "$budget" == *x ]]; then
			budget="$(( ${budget%x} * 20 ))x"
		fi
		echo "fuzz $dir $target ($budget)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" -fuzzminimizetime "$FUZZMINTIME" "$dir"; then
			status=1
		fi
	done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' 2>/dev/null || true)
exit $status
