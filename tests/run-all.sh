#!/bin/sh
# SPDX-License-Identifier: MIT
# Run promsnap's tests and print one closing line "N passed, N failed".
#
#   tests/run-all.sh                      everything (what `make check` runs)
#   tests/run-all.sh unit|fuzz|lint       one kind
#   tests/run-all.sh integration [FILE..] integration tests (all, or FILEs)
#
# Integration tests share one real node_exporter and one real Prometheus,
# started here once (Prometheus takes ~5 s to become queryable) and stopped
# by PID on every exit path.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
mode=${1:-all}
[ $# -gt 0 ] && shift
BIN="$TOP/build/san"
SHARED=${SHARED:-$(cd "$TOP/.." && pwd)/shared}
PROMSNAP_FIXTURES="$TOP/tests/fixtures"
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
SCRIPT_TIMEOUT=${SCRIPT_TIMEOUT:-900}
export TOP BIN SHARED PROMSNAP_FIXTURES
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

passed=0
failed=0
skipped=0
failures=""
WORK=$(mktemp -d "${TMPDIR:-/tmp}/promsnap-run.XXXXXX")

. "$TOP/tests/stack.sh"
cleanup() {
	stack_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

count_fail() {
	failed=$((failed + 1))
	failures="$failures
  $1"
}

run_unit() {
	for t in build/san/tests/check_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		out=$(CK_FORK=yes CK_DEFAULT_TIMEOUT=60 "$t" 2>&1)
		rc=$?
		line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -1)
		n=$(printf '%s' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
		f=$(printf '%s' "$line" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p')
		e=$(printf '%s' "$line" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p')
		if [ -z "$n" ]; then
			printf '%s\n' "$out" | tail -20
			count_fail "$name: no Check summary (exit $rc)"
			continue
		fi
		passed=$((passed + n - f - e))
		if [ "$f" -ne 0 ] || [ "$e" -ne 0 ] || [ "$rc" -ne 0 ]; then
			printf '%s\n' "$out" | grep -v ':P:' | tail -30
			failed=$((failed + f + e))
			[ "$f" -eq 0 ] && [ "$e" -eq 0 ] && failed=$((failed + 1))
			failures="$failures
  $name: $f failures, $e errors (exit $rc)"
		fi
		echo "unit $name: $line"
	done
}

run_fuzz() {
	for f in build/fuzz/*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		corpus="$TOP/tests/fuzz/corpus/$name"
		work="$WORK/fuzz-$name"
		mkdir -p "$work"
		[ -d "$corpus" ] && cp -r "$corpus/." "$work/"
		# Every seed first (regression), then a short exploration.
		if "$f" -runs=0 "$work" >"$WORK/$name.log" 2>&1 &&
			"$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
				-rss_limit_mb=1024 -print_final_stats=0 \
				"$work" >>"$WORK/$name.log" 2>&1; then
			passed=$((passed + 1))
			echo "fuzz $name: ok ($(ls "$work" | wc -l) inputs)"
		else
			tail -30 "$WORK/$name.log"
			count_fail "fuzz $name (crash input under $WORK is kept in the log above)"
		fi
	done
}

run_lint() {
	for m in man/*.[0-9]; do
		[ -f "$m" ] || continue
		out=$(mandoc -Tlint -W warning "$m" 2>&1)
		if [ -z "$out" ]; then
			passed=$((passed + 1))
			echo "lint $m: ok"
		else
			printf '%s\n' "$out" | head -10
			count_fail "mandoc -Tlint $m"
		fi
	done
}

run_integration() {
	if [ $# -eq 0 ]; then
		set -- $(ls tests/integration/*.sh | grep -v '/lib\.sh$' | sort)
	fi
	[ $# -gt 0 ] || return 0
	TEXTFILE_DIR="$WORK/textfile"
	export TEXTFILE_DIR
	if ! stack_start "$WORK/stack" "$TEXTFILE_DIR"; then
		count_fail "integration: could not start node_exporter and Prometheus"
		return
	fi
	echo "integration: node_exporter $NE_URL, prometheus $PROM_URL"
	for s in "$@"; do
		name=$(basename "$s")
		out=$(timeout -k 10 "$SCRIPT_TIMEOUT" bash "$s" 2>&1 </dev/null)
		rc=$?
		printf '%s\n' "$out" | grep -E '^(not )?ok ' || true
		p=$(printf '%s\n' "$out" | grep -E '^ok ' | grep -vc '# SKIP')
		k=$(printf '%s\n' "$out" | grep -Ec '^ok .*# SKIP')
		f=$(printf '%s\n' "$out" | grep -Ec '^not ok ')
		passed=$((passed + p))
		skipped=$((skipped + k))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failures="$failures
  $name: $f failed"
		fi
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			printf '%s\n' "$out" | tail -15
			count_fail "$name: exited $rc without a failed assertion"
		elif [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
			printf '%s\n' "$out" | grep -Ev '^(not )?ok ' | tail -15
		fi
		if [ $((p + k + f)) -eq 0 ] && [ "$rc" -eq 0 ]; then
			count_fail "$name: asserted nothing"
		fi
	done
	stack_stop
}

case "$mode" in
unit) run_unit ;;
fuzz) run_fuzz ;;
lint) run_lint ;;
integration) run_integration "$@" ;;
all)
	run_unit
	run_lint
	run_fuzz
	run_integration
	;;
*)
	echo "usage: $0 [all|unit|fuzz|lint|integration [FILE...]]" >&2
	exit 64
	;;
esac

if [ -n "$failures" ]; then
	echo "failed:$failures"
fi
echo "promsnap: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
