/* SPDX-License-Identifier: MIT */
/*
 * promfile: metric families in memory and their Prometheus text exposition
 * (format 0.0.4) for node_exporter's textfile collector.
 *
 * Calling sequence:
 *     struct promfile *pf = promfile_new();
 *     promfile_add(pf, "tcp_echo_sent_total", 10, "target", "a", NULL);
 *     promfile_add_histogram(pf, "tcp_echo_rtt_seconds", &h, "target", "a",
 *                            NULL);
 *     promfile_commit(pf, "/var/lib/prometheus/node-exporter/x.prom", ...);
 *     promfile_free(pf);
 *
 * Every metric name must be in the suite's table (metricdefs.h), which
 * gives its HELP and TYPE.  Labels are name/value pairs ending in NULL.
 * Label names are validated, label values escaped (\\, \", \n) and invalid
 * UTF-8 is replaced by U+FFFD.  A second sample with the same name and
 * labels is refused (node_exporter rejects the whole file for it).
 * Output groups samples per family, families sorted by name, samples in
 * the order added; never a timestamp.
 *
 * Errors: functions return -1 with errno set (EINVAL bad name or value,
 * EEXIST duplicate series, ENOMEM); promfile_error() says why in one line.
 */
#ifndef PROMSNAP_PROMFILE_H
#define PROMSNAP_PROMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "histogram.h"
#include "metricdefs.h"

struct promfile;

struct promfile *promfile_new(void);
void promfile_free(struct promfile *pf);

int promfile_add(struct promfile *pf, const char *name, double value, ...)
	__attribute__((sentinel));
/* labels: name, value, name, value, ..., NULL */
int promfile_addv(struct promfile *pf, const char *name, double value,
		  const char *const *labels);
int promfile_add_histogram(struct promfile *pf, const char *name,
			   const struct histogram *h, ...)
	__attribute__((sentinel));
int promfile_add_histogramv(struct promfile *pf, const char *name,
			    const struct histogram *h,
			    const char *const *labels);

/*
 * Several families with the same labels (a hop's seven gauges): the
 * labels are checked, escaped and stored once by promfile_labels_set, and
 * each promfile_add_same(pf, name, value) adds a sample of name with
 * them, as promfile_addv would, until the next promfile_labels_set.  Not
 * for histograms.
 */
int promfile_labels_set(struct promfile *pf, const char *const *labels);
int promfile_add_same(struct promfile *pf, const char *name, double value);

/* Drop every family whose name is not in keep (NULL-terminated). */
int promfile_retain(struct promfile *pf, const char *const *keep);

/* Number of samples (a histogram counts its bucket, sum and count lines). */
size_t promfile_series(const struct promfile *pf);
const char *promfile_error(const struct promfile *pf);

/* The exposition text in a malloc'd, NUL-terminated buffer. */
int promfile_render(const struct promfile *pf, char **buf, size_t *len);
/*
 * Exposition text written verbatim before the families: a block the tool
 * rendered in an earlier run and reuses (sni-scan's series when its logs
 * did not change).  len bytes from buf, or, when buf is NULL, from fd at
 * offset 0 (copied in the kernel when the output is a file).  The caller
 * keeps buf or fd valid until the file is written, and makes sure the
 * block is complete families that sort before, and are not among, the
 * families added to pf.  promfile_retain() drops it: it is measurement.
 */
void promfile_set_prefix(struct promfile *pf, const char *buf, int fd,
			 uint64_t len);
/* Write to a stream (for -o -); -1 with errno on write error. */
int promfile_write_stream(const struct promfile *pf, FILE *f);
/* Atomically replace path (see atomicfile.h); mode 0644.  With st not
 * NULL, also the stat of the file as written (its mtime is final; a
 * device or FIFO written in place gives its own). */
int promfile_commit(const struct promfile *pf, const char *path, char *err,
		    size_t errlen);
int promfile_commit_stat(const struct promfile *pf, const char *path,
			 char *err, size_t errlen, struct stat *st);

/* Helpers shared with tests and tools. */
int prom_valid_metric_name(const char *s);
int prom_valid_label_name(const char *s);
/* Format a sample value so that it parses back to the same double. */
void prom_format_value(double v, char *buf, size_t len);

#endif
