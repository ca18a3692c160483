#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo`: the suite's main job on one machine.  Every tool runs once on
# safe local defaults (loopback and namespaces it makes itself) and writes
# into ./demo/textfile/; a real node_exporter serves that directory, a real
# Prometheus scrapes it, and a query shows the values arriving.
#
# DEMO_KEEP=1 leaves node_exporter and Prometheus running afterwards.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
BIN="$TOP/build"
DEMO="$TOP/demo"
DEMO_TEXTFILE="$DEMO/textfile"
export BIN DEMO_TEXTFILE

rm -rf "$DEMO"
mkdir -p "$DEMO_TEXTFILE" "$DEMO/state" "$DEMO/tmp" "$DEMO/stack"
. "$TOP/tests/stack.sh"
if ! stack_start "$DEMO/stack" "$DEMO_TEXTFILE"; then
	echo "demo: could not start node_exporter and Prometheus" >&2
	exit 1
fi
if [ "${DEMO_KEEP:-0}" != 1 ]; then
	trap stack_stop EXIT
fi
echo "demo: node_exporter on $NE_URL serves $DEMO_TEXTFILE; Prometheus on $PROM_URL"

failed=""
ran=""
for snippet in cmd/*/demo.sh; do
	[ -f "$snippet" ] || continue
	tool=$(basename "$(dirname "$snippet")")
	[ -x "$BIN/$tool" ] || continue
	echo "demo: running $tool"
	DEMO_STATE="$DEMO/state/$tool"
	DEMO_TMP="$DEMO/tmp/$tool"
	mkdir -p "$DEMO_STATE" "$DEMO_TMP"
	# Each snippet runs in its own shell so one tool cannot break another.
	if DEMO_STATE="$DEMO_STATE" DEMO_TMP="$DEMO_TMP" \
		timeout -k 5 120 sh -c '. "$1"' demo "$snippet" \
		>"$DEMO/tmp/$tool.log" 2>&1 && [ -s "$DEMO_TEXTFILE/$tool.prom" ]; then
		ran="$ran $tool"
	else
		failed="$failed $tool"
		echo "demo: $tool failed; last lines of $DEMO/tmp/$tool.log:" >&2
		tail -5 "$DEMO/tmp/$tool.log" >&2
	fi
done

echo
echo "demo: files written:"
ls -l "$DEMO_TEXTFILE"
for f in "$DEMO_TEXTFILE"/*.prom; do
	[ -f "$f" ] || continue
	echo
	echo "== $(basename "$f") ($(grep -vc '^#' "$f") samples), first measurement lines:"
	grep -v -e '^#' -e '^promsnap_' "$f" | head -8
done

echo
echo "demo: waiting for Prometheus to scrape them (1 s interval)..."
n_tools=$(echo $ran | wc -w)
q='promsnap_run_success'
end=$(($(date +%s) + 30))
while :; do
	got=$(curl -fsS -G --data-urlencode "query=$q" "$PROM_URL/api/v1/query" |
		jq -r '.data.result | length')
	[ "${got:-0}" -ge "$n_tools" ] && break
	[ "$(date +%s)" -lt "$end" ] || break
	sleep 0.5
done
echo "demo: Prometheus query '$q':"
curl -fsS -G --data-urlencode "query=$q" "$PROM_URL/api/v1/query" |
	jq -r '.data.result[] | "  \(.metric.tool)\tsuccess=\(.value[1])"'
echo "demo: Prometheus query 'count by (job) ({__name__=~\".+\"})':"
curl -fsS -G --data-urlencode 'query=count by (job) ({__name__=~".+"})' \
	"$PROM_URL/api/v1/query" |
	jq -r '.data.result[] | "  job=\(.metric.job)\tseries=\(.value[1])"'

echo
echo "demo: promsnap-status, the one-shot health check:"
if [ -x "$BIN/promsnap-status" ]; then
	"$BIN/promsnap-status" -d "$DEMO_TEXTFILE" -s "$DEMO/state" $(for t in $ran; do printf -- '-t %s ' "$t"; done) || true
fi

echo
echo "Where to look: the .prom files in $DEMO_TEXTFILE, the tools' state in"
echo "$DEMO/state, their logs in $DEMO/tmp/*.log; 'man -l man/promsnap.7'."
if [ "${DEMO_KEEP:-0}" = 1 ]; then
	echo "node_exporter ($NE_URL/metrics) and Prometheus ($PROM_URL/graph) keep"
	echo "running; stop them with: kill $NE_PID $PROM_PID"
else
	echo "node_exporter and Prometheus are stopped now; run 'DEMO_KEEP=1 make demo'"
	echo "to keep them running and explore $PROM_URL/graph."
fi
if [ -n "$failed" ]; then
	echo "demo: failed:$failed" >&2
	exit 1
fi
[ -n "$ran" ] || echo "demo: no tool has a demo yet"
exit 0
