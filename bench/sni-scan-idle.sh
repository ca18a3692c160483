#!/bin/sh
# SPDX-License-Identifier: MIT
# sni-scan: the cost of a run with nothing new (what most timer runs are),
# with 10,000 names in state and with one, against /bin/true: 40 runs
# each (eight rounds of five, taking turns; the median of the rounds'
# medians), on disk ($T) and on tmpfs (/dev/shm).  Prints only `bench ...`
# lines.
#
# Such a run still writes a fresh .prom (temp, fsync, rename) holding all
# 10,000 names' series, and its state.  The floor of that on this machine
# is measured too, by a minimal C program that writes files of the same
# sizes the same way (no parsing, no checking): the 10,000-name run is
# given against it as well.
set -eu
: "${BIN:=build}"
: "${T:=$(mktemp -d)}"
S="$BIN/sni-scan"
SHM=$(mktemp -d /dev/shm/promsnap-bench.XXXXXX)
trap 'rm -rf "$SHM"' EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
runs() { # runs CMD...: median wall milliseconds of 5 runs
	"$BIN/bench-measure" 5 "$@" | awk '{ printf "%.3f", $1 }'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cat >"$T/floor.c" <<'EOC'
/* floor DIR PROM_BYTES STATE_BYTES: write DIR/state and DIR/floor.prom as
 * every run writes them (temp file, write, fsync, rename, fsync the dir),
 * the .prom's bytes copied in the kernel from the previous one, the
 * cheapest source there is. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void put(const char *dir, const char *name, const char *buf, size_t n)
{
	char tmp[4096], dst[4096];
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int in = open(dst, O_RDONLY | O_CLOEXEC);
	loff_t off = 0;
	while (in >= 0 && off < (loff_t)n) {
		ssize_t k = copy_file_range(in, &off, fd, NULL, n - off, 0);
		if (k <= 0)
			break;
	}
	if (in >= 0)
		close(in);
	if (fd < 0 || pwrite(fd, buf + off, n - off, off) != (ssize_t)(n - off) ||
	    fsync(fd) || close(fd) || rename(tmp, dst))
		exit(1);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0 || fsync(d) || close(d))
		exit(1);
}
int main(int argc, char **argv)
{
	if (argc != 4)
		return 64;
	size_t p = strtoul(argv[2], NULL, 10), s = strtoul(argv[3], NULL, 10);
	static char b[4096];
	memset(b, 'x', sizeof b);
	if (s > sizeof b)
		return 64;
	put(argv[1], "state", b, s);
	char *big = NULL;
	char dst[4096];
	snprintf(dst, sizeof dst, "%s/floor.prom", argv[1]);
	if (access(dst, F_OK) != 0) { /* the first run: make the file */
		big = malloc(p + 1);
		if (!big)
			return 1;
		memset(big, 'x', p);
	}
	put(argv[1], "floor.prom", big ? big : b, p);
	free(big);
	return 0;
}
EOC
cc -O2 -o "$T/floor" "$T/floor.c"

# 10,000 lines, one per name, in the bench's tcp-sni shape.
awk 'BEGIN {
	for (i = 0; i < 10000; i++)
		printf "127.0.%d.%d:%d [22/Nov/2026:00:00:00.000] fe_pass be_pool%d/s%d 0/1/%d %d %d -- 1/1/1/1/0 0/0 SNI=svc%d.example.com\n",
			int(i / 250) % 256, i % 250 + 1, 1024 + i, i % 4, i % 3, i % 7, i * 13 % 99991, i * 7 % 9973, i
}' >"$T/many.log"
head -n 1 "$T/many.log" >"$T/one.log"

for where in disk tmpfs; do
	if [ "$where" = disk ]; then D="$T/idle"; else D="$SHM"; fi
	mkdir -p "$D" "$D/floor"
	"$S" -q -s "$D/st-many" -o "$D/many.prom" "$T/many.log"
	"$S" -q -s "$D/st-one" -o "$D/one.prom" "$T/one.log"
	psize=$(wc -c <"$D/many.prom")
	ssize=$(wc -c <"$D/st-many/state")
	"$T/floor" "$D/floor" "$psize" "$ssize"
	# Other work on the machine comes and goes: the commands take turns,
	# five runs each, eight rounds; each gets the median of its rounds.
	m="" o="" f="" t=""
	for _ in 1 2 3 4 5 6 7 8; do
		m="$m $(runs "$S" -q -s "$D/st-many" -o "$D/many.prom" "$T/many.log")"
		f="$f $(runs "$T/floor" "$D/floor" "$psize" "$ssize")"
		o="$o $(runs "$S" -q -s "$D/st-one" -o "$D/one.prom" "$T/one.log")"
		t="$t $(runs /bin/true)"
	done
	many=$(echo "$m" | median)
	floor=$(echo "$f" | median)
	one=$(echo "$o" | median)
	tru=$(echo "$t" | median)
	echo "bench sni-scan run with nothing new ($where), 10000 SNIs in state: $many ms  ref /bin/true: $tru ms  ratio $(ratio "$many" "$tru")"
	echo "bench sni-scan run with nothing new ($where), 10000 SNIs in state: $many ms  ref floor (C: write+fsync+rename of a $psize-byte .prom, copied in the kernel, and a $ssize-byte state): $floor ms  ratio $(ratio "$many" "$floor")"
	echo "bench sni-scan run with nothing new ($where), 1 SNI in state: $one ms  ref /bin/true: $tru ms  ratio $(ratio "$one" "$tru")"
done
