/* SPDX-License-Identifier: MIT */
#include "metricdefs.h"

#include <string.h>

static const struct metricdef metricdefs[] = {
#define METRIC(name, type, help) {#name, PROM_##type, help},
#include "metrics/health.def"
#include "metrics/trace_once.def"
#include "metrics/tcpping_burst.def"
#include "metrics/qemu_netsnap.def"
#include "metrics/sni_scan.def"
#include "metrics/bpf_snap.def"
#include "metrics/selftest.def"
#undef METRIC
};

const struct metricdef *metricdef_find(const char *name)
{
	/* The table is a few hundred entries at most and each tool looks a
	 * name up once per family, so a linear scan is cheap enough. */
	for (size_t i = 0; i < sizeof metricdefs / sizeof metricdefs[0]; i++)
		if (!strcmp(metricdefs[i].name, name))
			return &metricdefs[i];
	return NULL;
}

const struct metricdef *metricdef_all(size_t *n)
{
	*n = sizeof metricdefs / sizeof metricdefs[0];
	return metricdefs;
}

const char *prom_type_name(enum prom_type t)
{
	switch (t) {
	case PROM_COUNTER:
		return "counter";
	case PROM_HISTOGRAM:
		return "histogram";
	case PROM_GAUGE:
	case PROM_INFO:
	default:
		return "gauge";
	}
}
