/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "common/log.h"
#include "common/utf8.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "ocserv-modern";
static enum log_level log_max = LOG_LVL_INFO;

enum log_sink { LOG_SINK_STDERR, LOG_SINK_JOURNAL, LOG_SINK_SYSLOG };
static enum log_sink log_sink = LOG_SINK_STDERR;

static const int level_priority[] = {
	[LOG_LVL_ERR] = LOG_ERR,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
	[LOG_LVL_TRACE] = LOG_DEBUG,
};

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
	[LOG_LVL_TRACE] = "trace",
};

/* $JOURNAL_STREAM is "DEV:INODE" of the journal's stream, when systemd
 * connected stdout/stderr to it. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *prog, enum log_level max_level)
{
	const char *sink = getenv("OCSERV_MODERN_LOG");

	log_prog = prog;
	log_max = max_level;
	if (sink != NULL && strcmp(sink, "syslog") == 0)
		log_to_syslog();
	else if (stderr_is_journal())
		log_sink = LOG_SINK_JOURNAL;
}

void log_to_syslog(void)
{
	openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	setenv("OCSERV_MODERN_LOG", "syslog", 1);
	log_sink = LOG_SINK_SYSLOG;
}

void log_set_level(enum log_level max_level)
{
	log_max = max_level;
}

enum log_level log_get_level(void)
{
	return log_max;
}

/* The start of a line on stderr: a timestamp, or the journal's "<N>". */
static size_t line_prefix(char *line, size_t len, enum log_level lvl)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	if (log_sink == LOG_SINK_JOURNAL)
		return (size_t)snprintf(line, len, "<%d>%s[%ld]: %s: ", level_priority[lvl],
					log_prog, (long)getpid(), level_names[lvl]);
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(line, len, "%Y-%m-%d %H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, len - n, ".%03ld %s[%ld]: %s: ",
			      (long)(tv.tv_usec / 1000), log_prog, (long)getpid(),
			      level_names[lvl]);
	return n;
}

/* The backstop under LOG_ESC: a control character that reaches a message
 * anyway (a call that forgot LOG_ESC) still cannot end the line or reach a
 * terminal: it becomes \xNN. Everything else stays as it is (LOG_ESC's
 * output has no control character, so nothing is escaped twice). Returns
 * the bytes written to out (NUL-terminated, room >= 1). */
static size_t copy_visible(char *out, size_t room, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
		bool ctl = *p < 0x20 || *p == 0x7f;

		if (o + (ctl ? 4 : 1) >= room)
			break;
		if (!ctl) {
			out[o++] = (char)*p;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 0xf];
	}
	out[o] = '\0';
	return o;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048], msg[2048];
	size_t n = 0;
	va_list ap;

	if (lvl > log_max)
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_sink != LOG_SINK_SYSLOG)
		n = line_prefix(line, sizeof(line), lvl);
	if (n < sizeof(line))
		copy_visible(line + n, sizeof(line) - n, msg);
	if (log_sink == LOG_SINK_SYSLOG) {
		syslog(level_priority[lvl], "%s", line);
		return;
	}
	n = strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	/* One write per line so lines of concurrent processes never interleave. */
	(void)!write(STDERR_FILENO, line, n);
}

/* --- escaping of peer-supplied text ---------------------------------------- */

/* Code points shown as their bytes' escapes although well-formed. */
static bool cp_hidden(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* The token at p[0..n): its length in bytes (*seq) and whether it is kept
 * as it is; returns the bytes it takes in the output. */
static size_t esc_token(const unsigned char *p, size_t n, size_t *seq, bool *plain)
{
	uint32_t cp = 0;
	size_t l = p[0] >= 0x80 ? utf8_decode(p, n, &cp) : 1;

	*plain = l > 1 ? !cp_hidden(cp) : p[0] >= 0x20 && p[0] < 0x7f && p[0] != '\\';
	*seq = l ? l : 1;
	return *plain ? *seq : 4 * *seq;
}

const char *log_escape_n(char *out, size_t out_len, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, total = 0, limit, seq;
	bool plain;

	if (s == NULL) {
		snprintf(out, out_len, "(null)");
		return out;
	}
	for (size_t i = 0; i < len; i += seq)
		total += esc_token(p + i, len - i, &seq, &plain);
	/* all of it, or as much as leaves room for "..." */
	limit = total < out_len ? total : out_len - 4;
	for (size_t i = 0; i < len; i += seq) {
		size_t need = esc_token(p + i, len - i, &seq, &plain);

		if (o + need > limit)
			break;
		if (plain) {
			memcpy(out + o, p + i, seq);
			o += seq;
			continue;
		}
		for (size_t k = i; k < i + seq; k++) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[k] >> 4];
			out[o++] = hex[p[k] & 0xf];
		}
	}
	if (total >= out_len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *log_escape(char *out, size_t out_len, const char *s)
{
	return log_escape_n(out, out_len, s, s != NULL ? strlen(s) : 0);
}

bool log_text_suspect(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = s != NULL ? strlen(s) : 0, seq;
	bool plain;

	for (size_t i = 0; i < len; i += seq) {
		(void)esc_token(p + i, len - i, &seq, &plain);
		if (!plain && p[i] != '\\')
			return true;
	}
	return false;
}
