/* SPDX-License-Identifier: MIT */
/*
 * log: the only place that talks to the operator.  Messages read
 * `tool: what: why`, go to stderr by default, to a file with
 * log_open_file() (--log-file) or to syslog with log_use_syslog()
 * (--syslog).  Verbosity: -1 quiet (errors only), 0 normal (warnings and
 * errors), 1 and more verbose (-v, -vv: info and debug).
 *
 * Calling sequence: log_init(tool) first thing in main(), then optionally
 * log_set_verbosity() / log_open_file() / log_use_syslog().
 */
#ifndef PROMSNAP_LOG_H
#define PROMSNAP_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *tool);
const char *log_tool(void);
void log_set_verbosity(int v);
int log_verbosity(void);
/* Returns -1 with errno set if FILE cannot be opened for appending. */
int log_open_file(const char *path);
void log_use_syslog(void);
void log_close(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
