# SPDX-License-Identifier: MIT
# trace-once: mtr per-hop metrics with ASN labels and route history.
TOOLS += trace-once
TRACE_PURE := cmd/trace-once/mtr_json.c cmd/trace-once/schedule.c \
	cmd/trace-once/route.c cmd/trace-once/fmt.c cmd/trace-once/result.c \
	cmd/trace-once/tconfig.c cmd/trace-once/tstate.c
trace-once_SRCS := cmd/trace-once/main.c cmd/trace-once/asn.c \
	cmd/trace-once/mtr_run.c cmd/trace-once/libc_wraps.c $(TRACE_PURE)
# jansson, libyaml and libmaxminddb come from Debian's static archives
# and glibc too (STATIC_TOOLS in the Makefile): nothing to load at run time.
trace-once_LDLIBS :=
# libc_wraps.c says why.
trace-once_WRAPS := getaddrinfo freeaddrinfo strtod

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

FUZZERS += fuzz_trace_mtr_json fuzz_trace_state fuzz_trace_schedule \
	fuzz_trace_tconfig
fuzz_trace_mtr_json_SRCS := tests/fuzz/fuzz_trace_mtr_json.c \
	cmd/trace-once/mtr_json.c cmd/trace-once/route.c
fuzz_trace_state_SRCS := tests/fuzz/fuzz_trace_state.c cmd/trace-once/route.c \
	cmd/trace-once/mtr_json.c
fuzz_trace_schedule_SRCS := tests/fuzz/fuzz_trace_schedule.c \
	cmd/trace-once/schedule.c
fuzz_trace_tconfig_SRCS := tests/fuzz/fuzz_trace_tconfig.c \
	cmd/trace-once/tconfig.c cmd/trace-once/schedule.c
TEST_TOOLS += trace-cputime
trace-cputime_SRCS := tests/tools/trace_cputime.c

# `make asn-db`: the suite's own GeoLite2-ASN-layout database, from the npm
# package @ip-location-db/asn (RouteViews, NRO, DB-IP; CC BY 4.0) converted
# with Debian's libmaxmind-db-writer-perl, installed where trace-once looks
# last: $(PREFIX)/share/promsnap/GeoLite2-ASN.mmdb.
ASN_DB_NPM := @ip-location-db/asn@2.3.2026061719
.PHONY: asn-db
asn-db: $(OUTPUT)/asn-db/GeoLite2-ASN.mmdb
	install -d $(DESTDIR)$(PREFIX)/share/promsnap
	install -m 0644 $< $(DESTDIR)$(PREFIX)/share/promsnap/GeoLite2-ASN.mmdb
$(OUTPUT)/asn-db/GeoLite2-ASN.mmdb: cmd/trace-once/asn-db.pl
	$(call msg,NPM,$(ASN_DB_NPM))
	@mkdir -p $(OUTPUT)/asn-db
	$(Q)cd $(OUTPUT)/asn-db && npm install --no-audit --no-fund \
		--no-save --silent $(ASN_DB_NPM)
	$(call msg,MMDB,$@)
	$(Q)perl cmd/trace-once/asn-db.pl \
		$(OUTPUT)/asn-db/node_modules/@ip-location-db/asn $@.tmp
	$(Q)mv $@.tmp $@
