# SPDX-License-Identifier: MIT
TOOLS += tcpping-burst
tcpping-burst_SRCS := cmd/tcpping-burst/main.c cmd/tcpping-burst/wire.c \
	cmd/tcpping-burst/rto.c cmd/tcpping-burst/session.c \
	cmd/tcpping-burst/targets.c cmd/tcpping-burst/fmt.c \
	cmd/tcpping-burst/compat.c cmd/tcpping-burst/burst.c \
	cmd/tcpping-burst/server.c
tcpping-burst_LDLIBS :=
