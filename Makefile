# SPDX-License-Identifier: MIT
# promsnap: GNU make + pkg-config, in the libbpf-tools manner.
#
#   make            build every tool into build/
#   make check      deps, then every test (unit, fuzz regression, lint,
#                   integration against the real stack) under ASan+UBSan
#   make demo       every tool once on safe local defaults into demo/
#   make bench      benchmarks, each beside a reference run
#   make install    PREFIX=/usr/local DESTDIR=...
#   make deps       apt-get install what building and testing need
#
# Each tool adds itself in cmd/<tool>/build.mk (TOOLS, <tool>_SRCS,
# <tool>_LDLIBS, CHECKS, check_<x>_SRCS, FUZZERS, fuzz_<x>_SRCS,
# TEST_TOOLS for test-only programs), so tools never edit this file.

OUTPUT := build
SAN := $(OUTPUT)/san
FUZZ := $(OUTPUT)/fuzz
CC ?= cc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
prefix ?= /usr/local
PREFIX ?= $(prefix)
DESTDIR ?=
VERSION := 0.1.0

PKGS := jansson yaml-0.1 libmaxminddb libbpf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

CFLAGS ?= -O2 -g
WARNFLAGS := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wformat=2 -Wno-format-truncation -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS := $(WARNFLAGS) -D_GNU_SOURCE -DPROMSNAP_VERSION='"$(VERSION)"' \
	-Ilib -I$(OUTPUT) $(PKG_CFLAGS) $(CFLAGS)
# --as-needed keeps each tool from loading libraries it does not call:
# start-up cost and RSS are benchmarked.
ALL_LDFLAGS := -Wl,--as-needed $(LDFLAGS)
LDLIBS := $(PKG_LIBS) -lm
# The optimised tools take jansson, libyaml, libmaxminddb and libbpf (with
# libelf and zlib) from Debian's static archives (the -dev packages ship
# them): a timer runs each tool every few seconds, and each shared object
# costs every run an open, four mmaps, relocations and page faults (issues
# 5, 6 and 8).  The shared -l flags in LDLIBS then go unused and
# --as-needed drops them.  Without the archives, shared as before.  A
# security update of these libraries means rebuilding.  (glibc's libm.a
# cannot go into a dynamic program.)
STATIC_LIBS := jansson yaml maxminddb bpf elf z
ifeq ($(words $(foreach l,$(STATIC_LIBS),$(wildcard $(shell \
	$(CC) -print-file-name=lib$(l).a)))),$(words $(STATIC_LIBS)))
TOOL_STATIC_LIBS := -Wl,-Bstatic $(STATIC_LIBS:%=-l%) -Wl,-Bdynamic
endif
# The tools that call no name-service function (getaddrinfo, getpwnam: a
# static glibc cannot load NSS modules) link glibc statically as well, as
# a static PIE (the program is still placed at a random address): no
# dynamic loader, no symbol lookups, nothing mapped but the program.  An
# empty main() runs in about 0.70 ms of CPU instead of 0.87 here
# (tests/tools/trace_cputime.c), which the per-run goals of issues 3, 5,
# 6 and 8 feel.  tcpping-burst resolves host names and stays dynamic.
STATIC_TOOLS := trace-once sni-scan qemu-netsnap bpf-snap
LIBC_A := $(filter /%,$(shell $(CC) -print-file-name=libc.a))
tool_link_libs = $(if $(and $(TOOL_STATIC_LIBS),$(wildcard $(LIBC_A)),$(filter \
	$(1),$(STATIC_TOOLS))),-static-pie \
	$(STATIC_LIBS:%=-l%) -lm,$(TOOL_STATIC_LIBS) $(LDLIBS))
# <tool>_WRAPS: libc functions the tool replaces with a __wrap_<f> of its
# own (ld --wrap), in every build of it, so the tests run the same code.
tool_wraps = $(foreach w,$($(1)_WRAPS),-Wl,--wrap=$(w))
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
SAN_CFLAGS := $(WARNFLAGS) -D_GNU_SOURCE -DPROMSNAP_VERSION='"$(VERSION)"' \
	-DPROMSNAP_TESTING -Ilib -I$(OUTPUT) $(PKG_CFLAGS) -O1 -g $(SANFLAGS)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -DPROMSNAP_TESTING -Ilib -I$(OUTPUT) \
	$(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

TOOLS :=
CHECKS :=
FUZZERS :=
EXTRA_TOOLS :=
TEST_TOOLS :=
LIB_SRCS := $(wildcard lib/*.c)
# The build.mk files define rules of their own (bpf-snap's vmlinux.h):
# a bare `make` still builds the tools.
.DEFAULT_GOAL := all
include $(sort $(wildcard cmd/*/build.mk))
include tests/build.mk

LIB_OBJS := $(LIB_SRCS:%.c=$(OUTPUT)/obj/%.o)
LIB_SAN_OBJS := $(LIB_SRCS:%.c=$(SAN)/obj/%.o)
ALL_TOOLS := $(TOOLS) $(EXTRA_TOOLS)

.DELETE_ON_ERROR:
.PHONY: all check check-unit check-integration check-fuzz check-lint \
	deps demo bench install uninstall clean fmt fuzz san

all: $(ALL_TOOLS:%=$(OUTPUT)/%)

# --- objects ------------------------------------------------------------
$(OUTPUT)/obj/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(SAN)/obj/%.o: %.c
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/libpromsnap.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SAN)/libpromsnap.a: $(LIB_SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# --- tools, tests and fuzzers, from each build.mk -------------------------
define tool_rules
$(OUTPUT)/$(1): $$($(1)_SRCS:%.c=$(OUTPUT)/obj/%.o) $(OUTPUT)/libpromsnap.a
	$$(call msg,LINK,$$@)
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) $$(call tool_wraps,$(1)) $$^ $$($(1)_LDLIBS) $$(call tool_link_libs,$(1)) -o $$@
$(SAN)/$(1): $$($(1)_SRCS:%.c=$(SAN)/obj/%.o) $(SAN)/libpromsnap.a
	$$(call msg,LINK-SAN,$$@)
	$$(Q)$$(CC) $$(SAN_CFLAGS) $$(call tool_wraps,$(1)) $$^ $$($(1)_LDLIBS) $$(LDLIBS) -o $$@
endef
$(foreach t,$(ALL_TOOLS) $(TEST_TOOLS),$(eval $(call tool_rules,$(t))))

# Every Check suite links tests/testutil.c (fixtures, suite runner).
define check_rules
$(SAN)/tests/$(1): $$(patsubst %.c,$(SAN)/obj/%.o,$$(sort $$($(1)_SRCS) tests/testutil.c)) $(SAN)/libpromsnap.a
	$$(call msg,LINK-SAN,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) $$(SAN_CFLAGS) $$^ $$($(1)_LDLIBS) $$(LDLIBS) $$(CHECK_LIBS) -o $$@
endef
$(foreach t,$(CHECKS),$(eval $(call check_rules,$(t))))

define fuzz_rules
$(FUZZ)/$(1): $$($(1)_SRCS) $(LIB_SRCS)
	$$(call msg,FUZZ,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CLANG) $$(FUZZ_CFLAGS) $$($(1)_SRCS) $$(filter-out $$($(1)_SRCS),$(LIB_SRCS)) $$($(1)_LDLIBS) $$(LDLIBS) -o $$@
endef
$(foreach t,$(FUZZERS),$(eval $(call fuzz_rules,$(t))))

san: $(ALL_TOOLS:%=$(SAN)/%) $(TEST_TOOLS:%=$(SAN)/%) \
	$(CHECKS:%=$(SAN)/tests/%)
fuzz: $(FUZZERS:%=$(FUZZ)/%)

# --- entry points -----------------------------------------------------------
deps:
	@sh tests/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all san fuzz
	$(Q)sh tests/run-all.sh

check-unit: san
	$(Q)sh tests/run-all.sh unit

check-integration: all san
	$(Q)sh tests/run-all.sh integration $(T)

check-fuzz: fuzz
	$(Q)sh tests/run-all.sh fuzz

check-lint: all
	$(Q)sh tests/run-all.sh lint

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh tests/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh bench/run.sh

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

MAN8 := $(wildcard man/*.8)
MAN7 := $(wildcard man/*.7)
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man7 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)/etc/promsnap
	install -m 0755 $(ALL_TOOLS:%=$(OUTPUT)/%) $(DESTDIR)$(PREFIX)/bin/
	$(if $(MAN7),install -m 0644 $(MAN7) $(DESTDIR)$(PREFIX)/share/man/man7/)
	$(if $(MAN8),install -m 0644 $(MAN8) $(DESTDIR)$(PREFIX)/share/man/man8/)
	@sh cron/install.sh "$(DESTDIR)" "$(PREFIX)" install

uninstall:
	rm -f $(ALL_TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(MAN7:man/%=$(DESTDIR)$(PREFIX)/share/man/man7/%)
	rm -f $(MAN8:man/%=$(DESTDIR)$(PREFIX)/share/man/man8/%)
	@sh cron/install.sh "$(DESTDIR)" "$(PREFIX)" uninstall

clean:
	rm -rf $(OUTPUT) demo

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
