#!/bin/sh
# SPDX-License-Identifier: MIT
# Install, with apt-get and only when missing, every Debian package that
# building, running and testing promsnap need on a fresh Debian 12 machine.
# The foundation's list is here; each tool adds its own in cmd/<tool>/deps.txt
# (one package per line, '#' comments).
set -eu
cd "$(dirname "$0")/.."

base="
make gcc libc6-dev pkg-config
libjansson-dev libyaml-dev libmaxminddb-dev libbpf-dev check libsubunit-dev
clang llvm libclang-rt-14-dev
prometheus prometheus-node-exporter
mandoc curl jq python3 iproute2 procps util-linux
"
extra=$(cat cmd/*/deps.txt 2>/dev/null | sed 's/#.*//' || true)

missing=
for p in $base $extra; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi
echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root: run as root: apt-get install$missing" >&2
	exit 77
fi
export DEBIAN_FRONTEND=noninteractive
# apt-cache and apt-get need the package lists; fetch them only if an
# install is due.
apt-get update -qq || apt-get update
# Debian's prometheus and node-exporter packages start their services when
# systemd runs; promsnap's tests start their own on free loopback ports.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
