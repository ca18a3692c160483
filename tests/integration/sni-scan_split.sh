#!/bin/bash
# SPDX-License-Identifier: MIT
# A log of 64 MiB or more is read by two threads, one per half.  Under the
# series cap the result must be that of a read by one thread (stdin is
# read by one): the same names kept, the same counts under each, the same
# "other" and dropped.  Two cases: the second half meets fewer new names
# than the cap (its table is merged in the order it met them), and more
# (it is read again after the first half).
. "$TOP/tests/integration/lib.sh"
cd "$T" || exit 1
S="$BIN/sni-scan"

# 80 MB: names n0..n2999 in the first half, n3000..n5999 in the second,
# each half cycling through its names in order.
awk 'BEGIN {
	size = 0
	for (i = 0; size < 80000000; i++) {
		n = (size < 40000000 ? 0 : 3000) + i % 3000
		l = sprintf("127.0.0.1:%d [22/Nov/2026:00:00:00.000] fe be/s 0/0/1 %d 10 -- 1/1/1/1/0 0/0 SNI=n%d.example", 1024 + i % 60000, i % 10000, n)
		print l
		size += length(l) + 1
	}
}' >halves.log
size=$(wc -c <halves.log)
[ "$size" -ge $((64 * 1024 * 1024)) ] || not_ok "log of 64 MiB or more" "only $size bytes"

series() { grep '^haproxy_sni_\|^sni_scan_series_dropped' "$1" | sort; }

for cap in 4000 2000; do
	rm -rf st_f st_s
	"$S" -q --max-series $cap -s st_f -o file.prom halves.log
	assert_eq "cap $cap: file read exits 0" 0 $?
	"$S" -q --max-series $cap -s st_s -o stdin.prom - <halves.log
	assert_eq "cap $cap: stdin read exits 0" 0 $?
	series file.prom >file.txt
	series stdin.prom >stdin.txt
	if [ -s file.txt ] && cmp -s file.txt stdin.txt; then
		ok "cap $cap: two threads count as one does ($(wc -l <file.txt) series)"
	else
		not_ok "cap $cap: two threads count as one does" \
			"$(diff file.txt stdin.txt | head -5)"
	fi
	dropped=$(awk '$1 == "sni_scan_series_dropped_total" {print $2}' file.prom)
	assert_match "cap $cap: the cap was reached" '^[1-9][0-9]*$' "$dropped"
done

# Cap 4000: the names kept are the first 4000 the log names, in the
# order of its lines (computed here from the log itself).
awk '{ sub(/.*SNI=/, ""); if (!($0 in seen)) { seen[$0]; if (++n <= 4000) print } }' \
	halves.log | sort >expect_names.txt
rm -rf st_f
"$S" -q --max-series 4000 -s st_f -o file.prom halves.log
sed -n 's/^haproxy_sni_connections{sni="\(n[0-9]*\.example\)"} .*/\1/p' file.prom |
	sort >kept_names.txt
if [ "$(wc -l <expect_names.txt)" -eq 4000 ] && cmp -s expect_names.txt kept_names.txt; then
	ok "cap 4000: the first 4000 names met are the ones kept"
else
	not_ok "cap 4000: the first 4000 names met are the ones kept" \
		"$(diff expect_names.txt kept_names.txt | head -5)"
fi
rm -f halves.log
