# SPDX-License-Identifier: MIT
# Helpers for integration tests; sourced by every tests/integration/*.sh.
# The runner (tests/run-all.sh) exports TOP BIN SHARED TEXTFILE_DIR NE_URL
# PROM_URL NE_LOG.  Output is TAP-like; the runner counts the lines:
#   ok - DESC | not ok - DESC: WHY | ok - DESC # SKIP REASON

: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BIN:=$TOP/build/san}"
: "${SHARED:=$TOP/../shared}"
export TOP BIN SHARED
# Sanitizer reports must fail the test, not scroll by.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

T=$(mktemp -d "${TMPDIR:-/tmp}/promsnap-test.XXXXXX")
export T
_lib_failed=0
_lib_cleanup=""
_lib_name=$(basename "$0" .sh)

_lib_exit() {
	_rc=$?
	# Cleanups run last-registered first, each even if another fails.
	eval "$_lib_cleanup" 2>/dev/null
	rm -rf "$T"
	if [ "$_lib_failed" -ne 0 ]; then
		exit 1
	fi
	exit "$_rc"
}
trap _lib_exit EXIT
trap 'exit 130' INT TERM

on_exit() {
	_lib_cleanup="$1
$_lib_cleanup"
}

ok() { echo "ok - $_lib_name: $1"; }
not_ok() {
	echo "not ok - $_lib_name: $1: $2"
	_lib_failed=1
}
skip() { echo "ok - $_lib_name: $1 # SKIP $2"; }

assert_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected '$2', got '$3'"
	fi
}

assert_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1" "'$3' does not match /$2/"
	fi
}

# Poll: wait_until TIMEOUT_S CMD ARGS...
wait_until() {
	_lim=$1
	shift
	_end=$(($(date +%s) + _lim))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
	return 0
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		skip "${1:-all}" "needs root"
		exit 0
	fi
}

need_cmd() {
	if ! command -v "$1" >/dev/null 2>&1; then
		skip "${2:-all}" "needs $1"
		exit 0
	fi
}

need_stack() {
	if [ -z "${NE_URL:-}" ] || [ -z "${PROM_URL:-}" ]; then
		skip "${1:-all}" "no node_exporter/Prometheus (run through tests/run-all.sh)"
		exit 0
	fi
}

prom_query() {
	curl -fsS -G --data-urlencode "query=$1" "$PROM_URL/api/v1/query" |
		jq -c '.data.result'
}

# prom_wait PROMQL [TIMEOUT_S]: until the result is non-empty.
prom_wait() {
	_q=$1
	_lim=${2:-20}
	_end=$(($(date +%s) + _lim))
	while :; do
		_r=$(prom_query "$_q" 2>/dev/null || echo '[]')
		if [ -n "$_r" ] && [ "$_r" != "[]" ]; then
			printf '%s\n' "$_r"
			return 0
		fi
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}

# Lint with promtool and prove node_exporter serves every sample of FILE
# with the same value, without errors.
check_promfile() {
	_f=$1
	_desc="promfile $(basename "$_f")"
	if [ ! -s "$_f" ]; then
		not_ok "$_desc" "missing or empty"
		return 1
	fi
	# The only lints tolerated are on names fixed by the compatibility
	# contract: _total suffixes and units.
	_lint=$(promtool check metrics <"$_f" 2>&1 |
		grep -v -e '"_total" suffix' -e 'unit' || true)
	if [ -n "$_lint" ]; then
		not_ok "$_desc: promtool check metrics" "$(echo "$_lint" | head -3)"
		return 1
	fi
	ok "$_desc: promtool check metrics"
	if [ -z "${NE_URL:-}" ]; then
		skip "$_desc: node_exporter" "no stack"
		return 0
	fi
	# Serve it as its tool's file, <tool>.prom, replacing that tool's
	# previous one, as in production: two files with the same health
	# series would make node_exporter reject both ("collected before").
	_tool=$(sed -n 's/^promsnap_run_success{tool="\([^"]*\)"}.*/\1/p' "$_f" | head -1)
	if [ -n "$_tool" ]; then
		_base="$_tool.prom"
	else
		_base=$(basename "$_f")
		case "$_base" in *.prom) ;; *) _base="$_base.prom" ;; esac
	fi
	cp "$_f" "$TEXTFILE_DIR/.$_base.tmp"
	mv "$TEXTFILE_DIR/.$_base.tmp" "$TEXTFILE_DIR/$_base"
	_off=$(wc -c <"$NE_LOG")
	curl -fsS "$NE_URL/metrics" >"$T/.ne_scrape" || {
		not_ok "$_desc: node_exporter" "scrape failed"
		return 1
	}
	_why=$(python3 "$TOP/tests/integration/compare_scrape.py" "$_f" "$T/.ne_scrape" 2>&1)
	_bad=$(tail -c +$((_off + 1)) "$NE_LOG" | grep -e 'collected before' -e 'inconsistent' | head -2)
	if [ -n "$_why" ]; then
		not_ok "$_desc: node_exporter" "$_why"
		return 1
	elif [ -n "$_bad" ]; then
		not_ok "$_desc: node_exporter log" "$_bad"
		return 1
	fi
	ok "$_desc: served by node_exporter with node_textfile_scrape_error 0"
	return 0
}
