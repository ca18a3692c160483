# SPDX-License-Identifier: MIT
# sni-scan: per-SNI traffic from HAProxy logs (issue 3).
TOOLS += sni-scan
SNI_PURE := cmd/sni-scan/logformat.c cmd/sni-scan/syslog_frame.c \
	cmd/sni-scan/sni_name.c cmd/sni-scan/logpos.c \
	cmd/sni-scan/counters.c cmd/sni-scan/scan.c
sni-scan_SRCS := cmd/sni-scan/main.c cmd/sni-scan/logread.c $(SNI_PURE)
sni-scan_LDLIBS :=

CHECKS += check_sni_logformat check_sni_frame check_sni_name \
	check_sni_logpos check_sni_counters check_sni_scan
check_sni_logformat_SRCS := tests/check_sni_logformat.c \
	cmd/sni-scan/logformat.c
check_sni_frame_SRCS := tests/check_sni_frame.c cmd/sni-scan/syslog_frame.c
check_sni_name_SRCS := tests/check_sni_name.c cmd/sni-scan/sni_name.c
check_sni_logpos_SRCS := tests/check_sni_logpos.c cmd/sni-scan/logpos.c
check_sni_counters_SRCS := tests/check_sni_counters.c \
	cmd/sni-scan/counters.c cmd/sni-scan/sni_name.c
check_sni_scan_SRCS := tests/check_sni_scan.c $(SNI_PURE)

FUZZERS += fuzz_sni_line fuzz_sni_format
fuzz_sni_line_SRCS := tests/fuzz/fuzz_sni_line.c $(SNI_PURE)
fuzz_sni_format_SRCS := tests/fuzz/fuzz_sni_format.c $(SNI_PURE)
FUZZERS += fuzz_sni_state
fuzz_sni_state_SRCS := tests/fuzz/fuzz_sni_state.c cmd/sni-scan/counters.c \
	cmd/sni-scan/sni_name.c
# The series block of a run with nothing new (reuse.c).
sni-scan_SRCS += cmd/sni-scan/reuse.c
check_sni_counters_SRCS += cmd/sni-scan/reuse.c
