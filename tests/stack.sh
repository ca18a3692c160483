# SPDX-License-Identifier: MIT
# Start and stop a real node_exporter (textfile collector only) and a real
# Prometheus (1 s scrape interval, its own temp storage) on free loopback
# ports.  Sourced by tests/run-all.sh and tests/demo.sh.
#
#   stack_start DIR TEXTFILE_DIR   sets NE_URL PROM_URL NE_LOG NE_PID PROM_PID
#   stack_stop                     stops both by PID (safe to call twice)

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Poll a command until it succeeds or TIMEOUT seconds pass.
stack_poll() {
	_limit=$1
	shift
	_end=$(($(date +%s) + _limit))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}

stack_start() {
	_dir=$1
	_tf=$2
	mkdir -p "$_dir" "$_tf"
	NE_BIN=${NE_BIN:-$(command -v prometheus-node-exporter || command -v node_exporter)}
	PROM_BIN=${PROM_BIN:-$(command -v prometheus)}
	if [ -z "$NE_BIN" ] || [ -z "$PROM_BIN" ]; then
		echo "stack: prometheus-node-exporter or prometheus is missing (make deps)" >&2
		return 69
	fi
	_ne_port=$(free_port)
	NE_URL="http://127.0.0.1:$_ne_port"
	NE_LOG="$_dir/node_exporter.log"
	"$NE_BIN" --web.listen-address="127.0.0.1:$_ne_port" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$_tf" >"$NE_LOG" 2>&1 &
	NE_PID=$!
	_prom_port=$(free_port)
	PROM_URL="http://127.0.0.1:$_prom_port"
	cat >"$_dir/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$_ne_port']
EOC
	"$PROM_BIN" --config.file="$_dir/prometheus.yml" \
		--storage.tsdb.path="$_dir/prometheus-data" \
		--web.listen-address="127.0.0.1:$_prom_port" \
		--web.enable-lifecycle >"$_dir/prometheus.log" 2>&1 &
	PROM_PID=$!
	export NE_URL PROM_URL NE_LOG NE_PID PROM_PID
	if ! stack_poll 20 curl -fsS "$NE_URL/metrics"; then
		echo "stack: node_exporter did not start; its log:" >&2
		tail -5 "$NE_LOG" >&2
		stack_stop
		return 1
	fi
	# Ready once the first scrape is queryable (about 5 s).
	if ! stack_poll 60 sh -c "curl -fsS '$PROM_URL/api/v1/query?query=up' | grep -q '\"value\"'"; then
		echo "stack: prometheus did not become queryable; its log:" >&2
		tail -5 "$_dir/prometheus.log" >&2
		stack_stop
		return 1
	fi
}

stack_stop() {
	for _pid in ${PROM_PID:-} ${NE_PID:-}; do
		kill "$_pid" 2>/dev/null || true
	done
	for _pid in ${PROM_PID:-} ${NE_PID:-}; do
		wait "$_pid" 2>/dev/null || true
	done
	PROM_PID=
	NE_PID=
}
