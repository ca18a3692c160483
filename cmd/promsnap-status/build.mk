# SPDX-License-Identifier: MIT
# promsnap-status: an extra tool (not a measurement), installed with the
# five tools.  status.c is the pure part (decode, compute, fmt).
EXTRA_TOOLS += promsnap-status
promsnap-status_SRCS := cmd/promsnap-status/main.c cmd/promsnap-status/status.c
CHECKS += check_status_compute
check_status_compute_SRCS := tests/check_status_compute.c cmd/promsnap-status/status.c
FUZZERS += fuzz_status_prom
fuzz_status_prom_SRCS := cmd/promsnap-status/fuzz_status_prom.c cmd/promsnap-status/status.c
