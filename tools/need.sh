# Sourced by the lab scripts (demo.sh, bench.sh): need_tools WHO CMD:PACKAGE...
# installs, on a Debian machine, the package of every CMD that is missing from PATH; without apt-get it says
# what WHO needs and exits.
need_tools() {
	local who=$1 pair
	shift
	local need=()
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
	done
	[ ${#need[@]} -eq 0 ] && return 0
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "$who needs: ${need[*]}" >&2
		exit 1
	fi
	echo "$who: installing the lab's tools: ${need[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}
