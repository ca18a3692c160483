# SPDX-License-Identifier: MIT
# trace-once: mtr per-hop metrics with ASN labels and route history.
TOOLS += trace-once
TRACE_PURE := cmd/trace-once/mtr_json.c cmd/trace-once/schedule.c \
	cmd/trace-once/route.c cmd/trace-once/fmt.c cmd/trace-once/result.c \
	cmd/trace-once/tconfig.c cmd/trace-once/tstate.c
trace-once_SRCS := cmd/trace-once/main.c cmd/trace-once/asn.c \
	cmd/trace-once/mtr_run.c $(TRACE_PURE)
trace-once_LDLIBS :=

# The suite's own ASN database is the last place trace-once looks.
$(OUTPUT)/obj/cmd/trace-once/main.o $(SAN)/obj/cmd/trace-once/main.o: \
	ALL_CFLAGS += -DTRACE_DATADIR='"$(PREFIX)/share/promsnap"'
$(SAN)/obj/cmd/trace-once/main.o: \
	SAN_CFLAGS += -DTRACE_DATADIR='"$(PREFIX)/share/promsnap"'

CHECKS += check_trace_mtr_json check_trace_schedule check_trace_route \
	check_trace_asn check_trace_fmt check_trace_tconfig check_trace_mtr_run
TRACE_UNIT := $(TRACE_PURE) cmd/trace-once/asn.c
check_trace_mtr_json_SRCS := tests/check_trace_mtr_json.c $(TRACE_UNIT)
check_trace_schedule_SRCS := tests/check_trace_schedule.c \
	cmd/trace-once/schedule.c
check_trace_route_SRCS := tests/check_trace_route.c $(TRACE_UNIT)
check_trace_asn_SRCS := tests/check_trace_asn.c cmd/trace-once/asn.c
check_trace_fmt_SRCS := tests/check_trace_fmt.c $(TRACE_UNIT)
check_trace_tconfig_SRCS := tests/check_trace_tconfig.c \
	cmd/trace-once/tconfig.c cmd/trace-once/schedule.c
check_trace_mtr_run_SRCS := tests/check_trace_mtr_run.c \
	cmd/trace-once/mtr_run.c

FUZZERS += fuzz_trace_mtr_json fuzz_trace_state fuzz_trace_schedule
fuzz_trace_mtr_json_SRCS := tests/fuzz/fuzz_trace_mtr_json.c \
	cmd/trace-once/mtr_json.c cmd/trace-once/route.c
fuzz_trace_state_SRCS := tests/fuzz/fuzz_trace_state.c cmd/trace-once/route.c \
	cmd/trace-once/mtr_json.c
fuzz_trace_schedule_SRCS := tests/fuzz/fuzz_trace_schedule.c \
	cmd/trace-once/schedule.c
TEST_TOOLS += trace-cputime
trace-cputime_SRCS := tests/tools/trace_cputime.c
