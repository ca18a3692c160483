# SPDX-License-Identifier: MIT
TOOLS += tcpping-burst
tcpping-burst_SRCS := cmd/tcpping-burst/main.c cmd/tcpping-burst/wire.c \
	cmd/tcpping-burst/rto.c cmd/tcpping-burst/session.c \
	cmd/tcpping-burst/targets.c cmd/tcpping-burst/fmt.c \
	cmd/tcpping-burst/compat.c cmd/tcpping-burst/burst.c \
	cmd/tcpping-burst/server.c
tcpping-burst_LDLIBS :=

CHECKS += check_tcpping_wire check_tcpping_rto check_tcpping_session \
	check_tcpping_targets check_tcpping_fmt check_tcpping_compat
check_tcpping_wire_SRCS := tests/check_tcpping_wire.c cmd/tcpping-burst/wire.c
check_tcpping_rto_SRCS := tests/check_tcpping_rto.c cmd/tcpping-burst/rto.c
check_tcpping_session_SRCS := tests/check_tcpping_session.c \
	cmd/tcpping-burst/session.c cmd/tcpping-burst/rto.c \
	cmd/tcpping-burst/wire.c
check_tcpping_targets_SRCS := tests/check_tcpping_targets.c \
	cmd/tcpping-burst/targets.c
check_tcpping_fmt_SRCS := tests/check_tcpping_fmt.c cmd/tcpping-burst/fmt.c \
	cmd/tcpping-burst/targets.c \
	cmd/tcpping-burst/session.c cmd/tcpping-burst/rto.c \
	cmd/tcpping-burst/wire.c
check_tcpping_compat_SRCS := tests/check_tcpping_compat.c \
	cmd/tcpping-burst/compat.c

TEST_TOOLS += tcpping-delay-relay
tcpping-delay-relay_SRCS := tests/tools/tcpping_delay_relay.c

FUZZERS += fuzz_tcpping_targets fuzz_tcpping_echo fuzz_tcpping_args
fuzz_tcpping_targets_SRCS := tests/fuzz/fuzz_tcpping_targets.c \
	cmd/tcpping-burst/targets.c
fuzz_tcpping_echo_SRCS := tests/fuzz/fuzz_tcpping_echo.c \
	cmd/tcpping-burst/session.c cmd/tcpping-burst/rto.c \
	cmd/tcpping-burst/wire.c
fuzz_tcpping_args_SRCS := tests/fuzz/fuzz_tcpping_args.c \
	cmd/tcpping-burst/compat.c cmd/tcpping-burst/targets.c
FUZZERS += fuzz_tcpping_state
fuzz_tcpping_state_SRCS := tests/fuzz/fuzz_tcpping_state.c \
	cmd/tcpping-burst/fmt.c cmd/tcpping-burst/targets.c \
	cmd/tcpping-burst/session.c cmd/tcpping-burst/rto.c \
	cmd/tcpping-burst/wire.c
