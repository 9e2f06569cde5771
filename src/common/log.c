/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "ocserv-modern";
static enum log_level log_max = LOG_LVL_INFO;

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
	[LOG_LVL_TRACE] = "trace",
};

void log_init(const char *prog, enum log_level max_level)
{
	log_prog = prog;
	log_max = max_level;
}

void log_set_level(enum log_level max_level)
{
	log_max = max_level;
}

enum log_level log_get_level(void)
{
	return log_max;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	size_t n;
	va_list ap;

	if (lvl > log_max)
		return;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ld %s[%ld]: %s: ",
			      (long)(tv.tv_usec / 1000), log_prog, (long)getpid(),
			      level_names[lvl]);
	if (n < sizeof(line)) {
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	n = strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	/* One write per line so lines of concurrent processes never interleave. */
	(void)!write(STDERR_FILENO, line, n);
}
