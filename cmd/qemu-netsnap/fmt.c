/* SPDX-License-Identifier: MIT */
#include "fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_ifstate(const void *a, const void *b)
{
	const struct qn_ifstate *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int add_dir(struct promfile *pf, const char *metric, const char *id,
		   double rx, double tx)
{
	if (promfile_add(pf, metric, rx, "uuid", id, "direction", "rx", NULL))
		return -1;
	return promfile_add(pf, metric, tx, "uuid", id, "direction", "tx",
			    NULL);
}

static int add_if(struct promfile *pf, const char *metric, const char *id,
		  const char *ifname, uint64_t rx, uint64_t tx)
{
	if (promfile_add(pf, metric, (double)rx, "uuid", id, "interface",
			 ifname, "direction", "rx", NULL))
		return -1;
	return promfile_add(pf, metric, (double)tx, "uuid", id, "interface",
			    ifname, "direction", "tx", NULL);
}

static int fmt_vm(struct promfile *pf, const struct qn_vm *vm)
{
	const struct qn_ifstate *ifs[QN_IFACES_MAX];
	size_t n = 0;

	for (size_t i = 0; i < vm->npids; i++) {
		char pid[16];

		snprintf(pid, sizeof pid, "%d", vm->pids[i]);
		if (promfile_add(pf, "qemu_vm_info", 1, "uuid", vm->id, "name",
				 vm->name, "pid", pid, NULL))
			return -1;
	}
	if (!vm->readable)
		return 0;
	if (promfile_add(pf, "qemu_network_interfaces", (double)vm->nif_now,
			 "uuid", vm->id, NULL))
		return -1;
	if (!vm->has_total)
		return 0;
	if (add_dir(pf, "qemu_network_total_bytes", vm->id, (double)vm->rx,
		    (double)vm->tx))
		return -1;
	for (int w = 0; w < QN_NWINDOWS; w++)
		if (add_dir(pf, qn_windows[w].metric, vm->id, vm->w[w].rx,
			    vm->w[w].tx))
			return -1;
	for (int w = 0; w < QN_NWINDOWS; w++)
		if (promfile_add(pf, "qemu_network_window_coverage_seconds",
				 vm->w[w].coverage, "uuid", vm->id, "window",
				 qn_windows[w].label, NULL))
			return -1;
	for (size_t i = 0; i < vm->nif; i++)
		if (vm->ifs[i].present)
			ifs[n++] = &vm->ifs[i];
	qsort(ifs, n, sizeof ifs[0], cmp_ifstate);
	for (size_t i = 0; i < n; i++) {
		const struct qn_counters *c = &ifs[i]->cum;

		if (add_if(pf, "qemu_network_interface_bytes_total", vm->id,
			   ifs[i]->name, c->v[QN_RX_BYTES],
			   c->v[QN_TX_BYTES]) ||
		    add_if(pf, "qemu_network_interface_packets_total", vm->id,
			   ifs[i]->name, c->v[QN_RX_PACKETS],
			   c->v[QN_TX_PACKETS]) ||
		    add_if(pf, "qemu_network_interface_dropped_total", vm->id,
			   ifs[i]->name, c->v[QN_RX_DROPPED],
			   c->v[QN_TX_DROPPED]))
			return -1;
	}
	return 0;
}

int qn_fmt(struct promfile *pf, const struct qn_table *t,
	   size_t unreadable_processes)
{
	size_t vms = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (!t->vms[i]->present)
			continue;
		vms++;
		if (fmt_vm(pf, t->vms[i]))
			return -1;
	}
	if (promfile_add(pf, "qemu_netsnap_vms", (double)vms, NULL))
		return -1;
	return promfile_add(pf, "qemu_netsnap_unreadable_processes",
			    (double)unreadable_processes, NULL);
}
