/* SPDX-License-Identifier: MIT */
/*
 * fmt: the accounted table of VMs into qemu-netsnap's metric families.
 * Pure: it only calls promfile_add.
 *
 * Per present VM, in id order: qemu_vm_info for each of its processes;
 * when its descriptors could be read, qemu_network_interfaces, and (once
 * it has ever had an interface) the totals, the five windows with their
 * coverage, and the per-interface counters of the interfaces read in this
 * run.  Then qemu_netsnap_vms and qemu_netsnap_unreadable_processes.
 *
 * Returns 0, or -1 with errno set when promfile refuses a sample (the
 * reason is in promfile_error()).
 */
#ifndef QEMU_NETSNAP_FMT_H
#define QEMU_NETSNAP_FMT_H

#include <stddef.h>

#include "account.h"
#include "promfile.h"

int qn_fmt(struct promfile *pf, const struct qn_table *t,
	   size_t unreadable_processes);

#endif
