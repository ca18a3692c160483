/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary map records (the bytes bpf-snap reads from
 * the kernel's maps) through snapshot_fmt() and promfile_render().
 * Input: four count bytes (targets, edges, connect and tx histograms),
 * then that many raw records of each kind, cut short where the input
 * ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/bpf-snap/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t take(const uint8_t **p, size_t *left, void *dst, size_t n,
		   size_t rec)
{
	size_t k = *left / rec < n ? *left / rec : n;

	memcpy(dst, *p, k * rec);
	*p += k * rec;
	*left -= k * rec;
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpf_snap_target targets[255];
	static struct snap_edge edges[255];
	static struct snap_hist conn[255], tx[255];
	struct snapshot s;
	struct promfile *pf;
	char err[256], *buf = NULL;
	size_t len, skipped;
	const uint8_t *p = data + 4;
	size_t left;

	if (size < 4)
		return 0;
	left = size - 4;
	memset(&s, 0, sizeof s);
	s.attached_since = (double)data[0] * 1e6;
	s.n_targets = take(&p, &left, targets, data[0], sizeof targets[0]);
	s.n_edges = take(&p, &left, edges, data[1], sizeof edges[0]);
	s.n_conn = take(&p, &left, conn, data[2], sizeof conn[0]);
	s.n_tx = take(&p, &left, tx, data[3], sizeof tx[0]);
	s.targets = targets;
	s.edges = edges;
	s.conn = conn;
	s.tx = tx;
	s.n_maps = 1;
	s.maps[0].name = "edges";
	s.maps[0].entries = s.n_edges;
	s.maps[0].capacity = 255;
	s.maps[0].has_dropped = 1;
	pf = promfile_new();
	if (!pf)
		return 0;
	if (snapshot_fmt(&s, pf, &skipped, err, sizeof err) == 0 &&
	    promfile_render(pf, &buf, &len) == 0)
		free(buf);
	promfile_free(pf);
	return 0;
}
