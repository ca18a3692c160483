/* SPDX-License-Identifier: MIT */
/*
 * metricdefs: the one table of HELP and TYPE for every metric name the
 * suite writes.  node_exporter silently drops the series of the second
 * file when two .prom files disagree on HELP or TYPE for one name, so no
 * tool spells its own: promfile looks every name up here and refuses a
 * name that is not in the table.
 *
 * Each tool lists its metrics in lib/metrics/<tool>.def as
 *     METRIC(name, TYPE, "help text")
 * with TYPE one of COUNTER, GAUGE, HISTOGRAM, INFO (an info-style gauge
 * whose value is always 1).
 */
#ifndef PROMSNAP_METRICDEFS_H
#define PROMSNAP_METRICDEFS_H

#include <stddef.h>

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM, PROM_INFO };

struct metricdef {
	const char *name;
	enum prom_type type;
	const char *help;
};

/* NULL if name is not in the table. */
const struct metricdef *metricdef_find(const char *name);
/* The whole table, for tests and documentation. */
const struct metricdef *metricdef_all(size_t *n);
/* "counter", "gauge" or "histogram", as the exposition format spells it. */
const char *prom_type_name(enum prom_type t);

#endif
