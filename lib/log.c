/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *log_name = "promsnap";
static int log_level_max = LOG_LVL_WARN;
static FILE *log_file;
static int log_syslog;

void log_init(const char *tool)
{
	log_name = tool;
}

const char *log_tool(void)
{
	return log_name;
}

void log_set_verbosity(int v)
{
	if (v < 0)
		log_level_max = LOG_LVL_ERR;
	else if (v == 0)
		log_level_max = LOG_LVL_WARN;
	else if (v == 1)
		log_level_max = LOG_LVL_INFO;
	else
		log_level_max = LOG_LVL_DEBUG;
}

int log_verbosity(void)
{
	return log_level_max - LOG_LVL_WARN;
}

int log_open_file(const char *path)
{
	FILE *f = fopen(path, "ae");
	if (!f)
		return -1;
	if (log_file)
		fclose(log_file);
	log_file = f;
	return 0;
}

void log_use_syslog(void)
{
	openlog(log_name, LOG_PID, LOG_DAEMON);
	log_syslog = 1;
}

void log_close(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	if (log_syslog)
		closelog();
	log_syslog = 0;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char msg[2048];
	int saved = errno;

	if ((int)lvl > log_level_max)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_syslog) {
		syslog(prio[lvl], "%s", msg);
	} else if (log_file) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(log_file, "%s %s: %s\n", ts, log_name, msg);
		fflush(log_file);
	} else {
		fprintf(stderr, "%s: %s\n", log_name, msg);
	}
	errno = saved;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
