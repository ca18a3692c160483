# SPDX-License-Identifier: MIT
# make demo: the echo server on a loopback port, one burst against it and
# against a closed port, then the server stopped (it writes its own
# tcpping-echo.prom on the way out).  Sourced with BIN, DEMO_TEXTFILE,
# DEMO_STATE and DEMO_TMP set; loopback only, about a second.
"$BIN/tcpping-burst" --serve 127.0.0.1:0 -v \
	-o "$DEMO_TEXTFILE/tcpping-echo.prom" --stats-interval 60s \
	2>"$DEMO_TMP/tcpping-echo.log" &
_tp_srv=$!
_tp_port=
for _tp_i in $(seq 1 100); do
	_tp_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		"$DEMO_TMP/tcpping-echo.log")
	[ -n "$_tp_port" ] && break
	sleep 0.05
done
if [ -n "$_tp_port" ]; then
	cat >"$DEMO_TMP/tcpping-burst.yaml" <<EOF_YAML
count: 10
interval: 20ms
targets:
  - name: local-echo
    address: "127.0.0.1:$_tp_port"
  - name: closed-port
    address: "127.0.0.1:9"
EOF_YAML
	"$BIN/tcpping-burst" -c "$DEMO_TMP/tcpping-burst.yaml" \
		-d "$DEMO_TEXTFILE" -s "$DEMO_STATE"
else
	echo "tcpping-burst demo: the echo server did not start" >&2
fi
kill "$_tp_srv" 2>/dev/null
wait "$_tp_srv" 2>/dev/null
unset _tp_srv _tp_port _tp_i
