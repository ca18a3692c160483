# SPDX-License-Identifier: MIT
# qemu-netsnap: per-VM network traffic of running QEMU processes (issue 8).
TOOLS += qemu-netsnap
QN_PURE := cmd/qemu-netsnap/decode.c cmd/qemu-netsnap/windows.c \
	cmd/qemu-netsnap/account.c cmd/qemu-netsnap/fmt.c
qemu-netsnap_SRCS := cmd/qemu-netsnap/main.c cmd/qemu-netsnap/procscan.c \
	cmd/qemu-netsnap/openbatch.c cmd/qemu-netsnap/settings.c $(QN_PURE)
qemu-netsnap_LDLIBS :=

CHECKS += check_qemu_decode check_qemu_windows check_qemu_account \
	check_qemu_settings check_qemu_procscan check_qemu_openbatch
check_qemu_decode_SRCS := tests/check_qemu_decode.c cmd/qemu-netsnap/decode.c
check_qemu_windows_SRCS := tests/check_qemu_windows.c \
	cmd/qemu-netsnap/windows.c
check_qemu_account_SRCS := tests/check_qemu_account.c $(QN_PURE)
check_qemu_procscan_SRCS := tests/check_qemu_procscan.c \
	cmd/qemu-netsnap/procscan.c cmd/qemu-netsnap/openbatch.c $(QN_PURE)
check_qemu_openbatch_SRCS := tests/check_qemu_openbatch.c \
	cmd/qemu-netsnap/openbatch.c
check_qemu_settings_SRCS := tests/check_qemu_settings.c \
	cmd/qemu-netsnap/settings.c cmd/qemu-netsnap/decode.c

FUZZERS += fuzz_qemu_cmdline fuzz_qemu_proc fuzz_qemu_state
fuzz_qemu_cmdline_SRCS := tests/fuzz/fuzz_qemu_cmdline.c \
	cmd/qemu-netsnap/decode.c
fuzz_qemu_proc_SRCS := tests/fuzz/fuzz_qemu_proc.c cmd/qemu-netsnap/decode.c
fuzz_qemu_state_SRCS := tests/fuzz/fuzz_qemu_state.c $(QN_PURE)

# Test-only: a process that holds taps under a QEMU-like argv (fake VMs
# for integration tests and the benchmark), a frame sender, and a runner
# under which io_uring_setup(2) is refused.
TEST_TOOLS += qemu-fakevm qemu-sendframes qemu-noring
qemu-fakevm_SRCS := tests/tools/qemu_fakevm.c
qemu-sendframes_SRCS := tests/tools/qemu_sendframes.c
qemu-noring_SRCS := tests/tools/qemu_noring.c
