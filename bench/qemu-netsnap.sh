#!/bin/sh
# SPDX-License-Identifier: MIT
# qemu-netsnap on a busy host: 2,000 other processes and 50 tap-holding
# fake VMs (tests/tools/qemu_fakevm.c: opens a tap, then shows a QEMU
# argv), one scan as a whole process, wall time and max RSS, against a
# minimal C loop that only lists /proc and reads every cmdline
# (tests/tools/qemu_cmdline_loop.c), measured in the same invocation.
# State and the .prom on tmpfs (the scan is measured, not the disk's
# fsync), then the same with both on the disk that holds $T.
# On a host this busy the scan reads /proc with two threads (scan_threads:
# 0, automatic): besides wall time, the CPU time (user + sys) per run and
# the wall time of a one-thread scan are printed, so the trade is seen;
# and a floor: the loop plus an fsync'd copy of the files the tool writes.
# The command lines are opened through io_uring where it is allowed; the
# wall time with io_uring refused (tests/tools/qemu_noring.c: as under
# kernel.io_uring_disabled or a SystemCallFilter= that leaves it out,
# systemd's @system-service does) is printed beside it, the exec of the
# small static wrapper that refuses it included.
# Needs root (taps); all traffic-free, nothing leaves the machine.
set -eu
M="$BIN/bench-measure"
[ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] || {
	echo "bench qemu-netsnap: SKIPPED (needs root and /dev/net/tun)" >&2
	exit 0
}
cc -O2 -Wall -Wextra -o "$T/fakevm" "$TOP/tests/tools/qemu_fakevm.c"
cc -O2 -Wall -Wextra -o "$T/cmdline-loop" "$TOP/tests/tools/qemu_cmdline_loop.c"
cc -O2 -Wall -Wextra -static -o "$T/noring" "$TOP/tests/tools/qemu_noring.c"
# The floor of a scan that keeps its promise of durable files: the same
# cmdline loop, then each FILE copied to a temporary in its directory,
# fsync'd, renamed to FILE.floor and the directory fsync'd (what the tool
# does with its state and .prom).  On a disk the fsyncs are most of it.
cat >"$T/durable-floor.c" <<'EOF'
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv)
{
	char path[4096], tmp[4096], dir[4096];
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return 1;
	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "%s/cmdline", e->d_name);
		fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (read(fd, buf, 4096) < 0)
			return 1;
		close(fd);
	}
	closedir(d);
	for (int i = 1; i < argc; i++) {
		int in = open(argv[i], O_RDONLY), out, dfd;
		ssize_t n = in < 0 ? -1 : read(in, buf, sizeof buf);

		snprintf(tmp, sizeof tmp, "%s.floor.tmp", argv[i]);
		snprintf(path, sizeof path, "%s.floor", argv[i]);
		snprintf(dir, sizeof dir, "%s", argv[i]);
		out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (n < 0 || out < 0 || write(out, buf, (size_t)n) != n ||
		    fsync(out) || close(out) || close(in) || rename(tmp, path))
			return 1;
		dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) || close(dfd))
			return 1;
	}
	return 0;
}
EOF
cc -O2 -Wall -Wextra -o "$T/durable-floor" "$T/durable-floor.c"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# med FILE: the median of bench-measure's walls in FILE, and the largest
# RSS.
med() {
	sort -n -k1,1 "$1" | awk '{ w[NR] = $1; if ($2 > m) m = $2 }
		END { printf "%s %s", w[int((NR + 1) / 2)], m }'
}
# cpu_ms RUNS CMD...: user + sys time of the children, per run, in ms
# (the shell's times: clock ticks, so only over many runs).
cpu_ms() {
	(
		runs=$1
		shift
		i=0
		while [ $i -lt "$runs" ]; do
			"$@" >/dev/null 2>&1 || exit 1
			i=$((i + 1))
		done
		times
	) | awk -v runs="$1" 'NR == 2 {
		t = 0
		for (f = 1; f <= 2; f++) {
			split($f, p, "m")
			sub("s", "", p[2])
			t += p[1] * 60 + p[2]
		}
		printf "%.3f", t * 1000 / runs
	}'
}
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$T/fakevm" --idle 2000 >"$T/idle.out" &
pids="$pids $!"
S=$$
i=0
while [ $i -lt 50 ]; do
	"$T/fakevm" --tap "qb${S}x$i" -- /usr/bin/qemu-system-x86_64 \
		-name "guest=bench-$i,debug-threads=on" \
		-uuid "00000000-0000-4000-8000-0000000000$(printf %02d $i)" \
		-machine q35,accel=kvm -m 1024 >"$T/vm$i.out" &
	pids="$pids $!"
	i=$((i + 1))
done
n=0
until grep -q ready "$T/idle.out" && [ "$(cat "$T"/vm*.out | grep -c ready)" = 50 ]; do
	n=$((n + 1))
	[ $n -lt 600 ] || { echo "bench qemu-netsnap: helpers not ready" >&2; exit 1; }
	sleep 0.1
done
procs=$(ls -d /proc/[0-9]* | wc -l)

printf 'max_vms: 1024\n' >"$T/qn.yaml"
printf 'max_vms: 1024\nscan_threads: 1\n' >"$T/qn1.yaml"
for where in tmpfs disk; do
	if [ "$where" = tmpfs ]; then
		d=$(mktemp -d /dev/shm/qn-bench.XXXXXX)
	else
		d="$T/disk"
	fi
	mkdir -p "$d/tf" "$d/st"
	run="$BIN/qemu-netsnap -q -c $T/qn.yaml -d $d/tf -s $d/st"
	# Steady state: the state already holds every VM and a ring.
	k=0
	while [ $k -lt 20 ]; do $run; k=$((k + 1)); done
	vms=$(awk '$1 == "qemu_netsnap_vms" { print $2 }' "$d/tf/qemu-netsnap.prom")
	[ "$vms" -ge 50 ] || { echo "bench qemu-netsnap: saw $vms VMs" >&2; exit 1; }
	# The machine may be shared: every variant is measured in ten
	# rounds of five runs, interleaved, so a load that comes and goes
	# falls on all of them alike; each figure is the median of the
	# rounds' medians (and the largest RSS).
	run1="$BIN/qemu-netsnap -q -c $T/qn1.yaml -d $d/tf -s $d/st"
	floor="$T/durable-floor $d/st/state $d/tf/qemu-netsnap.prom"
	: >"$T/w.ref"
	: >"$T/w.two"
	: >"$T/w.one"
	: >"$T/w.floor"
	: >"$T/w.noring"
	: >"$T/cpu.ref"
	: >"$T/cpu.two"
	r=0
	while [ $r -lt 10 ]; do
		$M 5 "$T/cmdline-loop" >>"$T/w.ref"
		$M 5 $run >>"$T/w.two"
		$M 5 $run1 >>"$T/w.one"
		$M 5 $floor >>"$T/w.floor"
		$M 5 "$T/noring" EPERM $run >>"$T/w.noring"
		echo "$(cpu_ms 10 "$T/cmdline-loop")" >>"$T/cpu.ref"
		echo "$(cpu_ms 10 $run)" >>"$T/cpu.two"
		r=$((r + 1))
	done
	set -- $(med "$T/w.ref")
	ref_ms=$1 ref_kb=$2
	set -- $(med "$T/w.one")
	one_ms=$1
	set -- $(med "$T/w.floor")
	floor_ms=$1
	set -- $(med "$T/w.noring")
	noring_ms=$1
	set -- $(med "$T/w.two")
	echo "bench qemu-netsnap scan wall ($where, $procs processes, $vms VMs): $1 ms  ref cmdline loop: $ref_ms ms  ratio $(ratio "$1" "$ref_ms")"
	echo "bench qemu-netsnap scan max RSS ($where): $2 KB  ref cmdline loop: $ref_kb KB  ratio $(ratio "$2" "$ref_kb")"
	echo "bench qemu-netsnap scan wall, one thread ($where): $one_ms ms  ref cmdline loop: $ref_ms ms  ratio $(ratio "$one_ms" "$ref_ms")"
	echo "bench qemu-netsnap scan wall, io_uring refused ($where): $noring_ms ms  ref cmdline loop: $ref_ms ms  ratio $(ratio "$noring_ms" "$ref_ms")"
	cpu=$(awk '{ t += $1 } END { printf "%.3f", t / NR }' "$T/cpu.two")
	ref_cpu=$(awk '{ t += $1 } END { printf "%.3f", t / NR }' "$T/cpu.ref")
	echo "bench qemu-netsnap scan CPU user+sys ($where): $cpu ms  ref cmdline loop: $ref_cpu ms  ratio $(ratio "$cpu" "$ref_cpu")"
	echo "bench qemu-netsnap scan wall vs floor ($where): $1 ms  ref cmdline loop + fsync'd copy of state and .prom: $floor_ms ms  ratio $(ratio "$1" "$floor_ms")"
	if [ "$where" = tmpfs ]; then rm -rf "$d"; fi
done
