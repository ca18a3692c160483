# SPDX-License-Identifier: MIT
# make demo: trace-once once.  As root, through a routed network of network
# namespaces made here (cmd/trace-once/testnet.sh: five hops, one silent
# router, ASN-labelled addresses) and removed afterwards; otherwise to
# 127.0.0.1.  ASN labels come from `make asn-db`'s database when it was
# built, else from the test database shipped in tests/fixtures.
_db="$BIN/asn-db/GeoLite2-ASN.mmdb"
[ -f "$_db" ] || _db="$BIN/../tests/fixtures/trace-once/GeoLite2-ASN-Test.mmdb"
_out="$DEMO_TEXTFILE/trace-once.prom"
if [ "$(id -u)" = 0 ] && ip netns add "trdemo$$-probe" 2>/dev/null; then
	ip netns del "trdemo$$-probe"
	. "$BIN/../cmd/trace-once/testnet.sh"
	_ns="trdemo$$-"
	if testnet_up "$_ns" >"$DEMO_TMP/net.log" 2>&1; then
		testnet_silent r2
		ip netns exec "${_ns}client" "$BIN/trace-once" -s "$DEMO_STATE" \
			-o "$_out" --db-path "$_db" --count 3 --interval 0.2 \
			--grace 0.5 89.160.20.112 2001:1700::1
		_rc=$?
	else
		_rc=1
	fi
	testnet_down "$_ns"
	[ "$_rc" = 0 ]
else
	"$BIN/trace-once" -s "$DEMO_STATE" -o "$_out" --db-path "$_db" \
		--count 3 --grace 0.5 127.0.0.1
fi
