# SPDX-License-Identifier: MIT
# bpf-snap: the kernel side is compiled to build/bpf_snap.bpf.o (CO-RE,
# against a vmlinux.h generated from this kernel's BTF at build time) and
# embedded through a skeleton header, the libbpf-tools chain
#   %.bpf.c -> build/%.bpf.o -> build/%.skel.h

TOOLS += bpf-snap
bpf-snap_SRCS := cmd/bpf-snap/main.c cmd/bpf-snap/attach.c \
	cmd/bpf-snap/pins.c cmd/bpf-snap/snapshot.c cmd/bpf-snap/snapconf.c
bpf-snap_LDLIBS :=

BPF_SNAP_VMLINUX := $(OUTPUT)/vmlinux.h
BPF_SNAP_BTF ?= /sys/kernel/btf/vmlinux
BPF_SNAP_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')

$(BPF_SNAP_VMLINUX):
	$(call msg,BTF,$@)
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $(BPF_SNAP_BTF) format c > $@.tmp && mv $@.tmp $@

# -mcpu=v3: the programs hand out counter slots with an atomic
# fetch-and-add (BPF_FETCH, Linux 5.12).
$(OUTPUT)/bpf_snap.bpf.o: cmd/bpf-snap/bpf_snap.bpf.c cmd/bpf-snap/bpf_snap.h $(BPF_SNAP_VMLINUX)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_SNAP_ARCH) \
		-I$(OUTPUT) -Icmd/bpf-snap $(filter -I%,$(PKG_CFLAGS)) \
		-c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/bpf_snap.skel.h: $(OUTPUT)/bpf_snap.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bpf_snap_bpf > $@.tmp && mv $@.tmp $@

# Both the optimised and the sanitizer builds include the skeleton.
$(OUTPUT)/obj/cmd/bpf-snap/attach.o $(SAN)/obj/cmd/bpf-snap/attach.o: $(OUTPUT)/bpf_snap.skel.h

CHECKS += check_bpf_snapshot check_bpf_snapconf
check_bpf_snapshot_SRCS := tests/check_bpf_snapshot.c cmd/bpf-snap/snapshot.c
check_bpf_snapconf_SRCS := tests/check_bpf_snapconf.c cmd/bpf-snap/snapconf.c

FUZZERS += fuzz_bpf_snapshot fuzz_bpf_snapconf
fuzz_bpf_snapshot_SRCS := tests/fuzz/fuzz_bpf_snapshot.c cmd/bpf-snap/snapshot.c
fuzz_bpf_snapconf_SRCS := tests/fuzz/fuzz_bpf_snapconf.c cmd/bpf-snap/snapconf.c

# Test-only: a client with a chosen comm that makes an exact number of
# connects and sends (tests/integration/bpf-snap_*.sh, bench/bpf-snap.sh).
TEST_TOOLS += bpf-traffic
bpf-traffic_SRCS := tests/tools/bpf_traffic.c
